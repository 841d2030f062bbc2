package io.gluelab.hadoop;

import java.io.BufferedOutputStream;
import java.io.File;
import java.io.FileNotFoundException;
import java.io.FileOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.ParentNotDirectoryException;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.util.Progressable;

/**
 * The lake as Spark sees it: {@code s3://bucket/key} (and {@code s3a://}, {@code s3n://}) is the file
 * {@code <warehouse>/bucket/key}, where the warehouse is {@code gluelab.warehouse} in the Hadoop
 * configuration. Paths Spark gets back (statuses, listings) keep the scheme and bucket they were asked
 * with, so {@code input_file_name()} and table locations say {@code s3://}.
 *
 * <p>The rules are gluelab's ({@code gluelab.runtime.paths} holds the same ones for Python): a key may not
 * leave its bucket ({@code ..}), nothing that resolves (through symbolic links) outside the warehouse is
 * read or written, and bucket names follow S3's rules. Reads go through Hadoop's local file system; writes
 * and folders are made with java.nio (no {@code chmod} process per file, no {@code .crc} side files).
 */
public class WarehouseFileSystem extends FileSystem {
  public static final String WAREHOUSE_KEY = "gluelab.warehouse";
  private static final Pattern BUCKET = Pattern.compile("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$");
  private static final Pattern IP_ADDRESS = Pattern.compile("^\\d+\\.\\d+\\.\\d+\\.\\d+$");
  private static final long BLOCK_SIZE = 128L * 1024 * 1024;

  private URI uri;
  private String bucket;
  private File warehouse; // canonical
  private File bucketDir;
  private Path workingDir;
  private final RawLocalFileSystem local = new RawLocalFileSystem();

  @Override
  public void initialize(URI name, Configuration conf) throws IOException {
    super.initialize(name, conf);
    setConf(conf);
    String root = conf.get(WAREHOUSE_KEY);
    if (root == null || root.isEmpty()) {
      throw new IOException(
          "No warehouse for " + name + ": " + WAREHOUSE_KEY + " is not set (a Spark session gluelab did "
              + "not build; start it with gluelab, or set spark.hadoop." + WAREHOUSE_KEY + ")");
    }
    bucket = name.getAuthority();
    checkBucket(name.toString(), bucket);
    warehouse = new File(root).getCanonicalFile();
    bucketDir = new File(warehouse, bucket);
    uri = URI.create(name.getScheme() + "://" + bucket);
    workingDir = new Path(uri.toString() + "/");
    local.initialize(URI.create("file:///"), conf);
  }

  static void checkBucket(String location, String bucket) throws IOException {
    if (bucket == null
        || !BUCKET.matcher(bucket).matches()
        || bucket.contains("..")
        || IP_ADDRESS.matcher(bucket).matches()
        || bucket.startsWith("xn--")
        || bucket.endsWith("-s3alias")
        || bucket.endsWith("--ol-s3")) {
      throw new IOException(
          "'" + location + "': '" + (bucket == null ? "" : bucket) + "' is not a valid S3 bucket name.");
    }
  }

  @Override
  public String getScheme() {
    return uri.getScheme();
  }

  @Override
  public URI getUri() {
    return uri;
  }

  @Override
  public Path getWorkingDirectory() {
    return workingDir;
  }

  @Override
  public void setWorkingDirectory(Path dir) {
    workingDir = makeQualified(dir);
  }

  @Override
  public Path getHomeDirectory() {
    return workingDir;
  }

  @Override
  public String getCanonicalServiceName() {
    return null; // no delegation tokens
  }

  @Override
  public long getDefaultBlockSize() {
    return BLOCK_SIZE;
  }

  // -- the mapping --------------------------------------------------------------------------------------

  /** The local file of {@code path}, refused when it leaves its bucket or the warehouse. */
  File toLocal(Path path) throws IOException {
    Path qualified = makeQualified(path);
    String key = qualified.toUri().getPath();
    for (String segment : key.split("/")) {
      if (segment.equals("..")) {
        throw new AccessDeniedException("'" + qualified + "' leaves its bucket ('..'); refused.");
      }
    }
    File file = bucketDir.toPath().resolve(key.replaceFirst("^/+", "")).normalize().toFile();
    checkInside(file, qualified.toString());
    return file;
  }

  /** Refuse {@code file} when it, or its nearest existing ancestor, resolves outside the warehouse. */
  private void checkInside(File file, String name) throws IOException {
    File existing = file;
    while (existing != null && !existing.exists()) {
      existing = existing.getParentFile();
    }
    if (existing == null) {
      return;
    }
    String resolved = existing.getCanonicalPath();
    String root = warehouse.getPath();
    if (!resolved.equals(root) && !resolved.startsWith(root + File.separator)) {
      throw new AccessDeniedException(
          "'" + name + "' points outside the warehouse (" + root + "); refused.");
    }
  }

  private boolean isRoot(File file) {
    return file.toPath().equals(bucketDir.toPath()) || file.toPath().equals(warehouse.toPath());
  }

  private FileStatus status(File file, Path remote, BasicFileAttributes attributes) {
    boolean directory = attributes.isDirectory();
    return new FileStatus(
        directory ? 0 : attributes.size(),
        directory,
        1,
        BLOCK_SIZE,
        attributes.lastModifiedTime().toMillis(),
        attributes.lastAccessTime().toMillis(),
        directory ? FsPermission.getDirDefault() : FsPermission.getFileDefault(),
        System.getProperty("user.name"),
        System.getProperty("user.name"),
        remote);
  }

  private static BasicFileAttributes attributes(File file, Path remote) throws IOException {
    try {
      return Files.readAttributes(file.toPath(), BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      throw new FileNotFoundException(remote + ": no such file or directory");
    }
  }

  // -- reading ------------------------------------------------------------------------------------------

  @Override
  public FileStatus getFileStatus(Path path) throws IOException {
    Path remote = makeQualified(path);
    File file = toLocal(remote);
    return status(file, remote, attributes(file, remote));
  }

  @Override
  public FileStatus[] listStatus(Path path) throws IOException {
    Path remote = makeQualified(path);
    File dir = toLocal(remote);
    BasicFileAttributes attributes = attributes(dir, remote);
    if (!attributes.isDirectory()) {
      return new FileStatus[] {status(dir, remote, attributes)};
    }
    String[] names = dir.list();
    if (names == null) {
      throw new IOException(remote + ": cannot list this folder");
    }
    Arrays.sort(names);
    List<FileStatus> out = new ArrayList<>(names.length);
    for (String name : names) {
      File child = new File(dir, name);
      Path childRemote = new Path(remote, new Path(null, null, name));
      BasicFileAttributes childAttributes;
      try {
        childAttributes =
            Files.readAttributes(child.toPath(), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (childAttributes.isSymbolicLink()) {
          checkInside(child, childRemote.toString());
          childAttributes = Files.readAttributes(child.toPath(), BasicFileAttributes.class);
        }
      } catch (NoSuchFileException e) {
        continue; // gone since the listing (or a dangling link)
      }
      out.add(status(child, childRemote, childAttributes));
    }
    return out.toArray(new FileStatus[0]);
  }

  @Override
  public FSDataInputStream open(Path path, int bufferSize) throws IOException {
    Path remote = makeQualified(path);
    File file = toLocal(remote);
    if (file.isDirectory()) {
      throw new FileNotFoundException(remote + " is a folder, not a file");
    }
    if (!file.exists()) {
      throw new FileNotFoundException(remote + ": no such file");
    }
    return local.open(new Path(file.toURI()), bufferSize);
  }

  // -- writing ------------------------------------------------------------------------------------------

  @Override
  public FSDataOutputStream create(
      Path path,
      FsPermission permission,
      boolean overwrite,
      int bufferSize,
      short replication,
      long blockSize,
      Progressable progress)
      throws IOException {
    Path remote = makeQualified(path);
    File file = toLocal(remote);
    if (file.isDirectory()) {
      throw new org.apache.hadoop.fs.FileAlreadyExistsException(remote + " is a folder");
    }
    if (file.exists() && !overwrite) {
      throw new org.apache.hadoop.fs.FileAlreadyExistsException(remote + " already exists");
    }
    makeFolders(file.getParentFile(), remote.getParent());
    return output(file, false, bufferSize);
  }

  @Override
  public FSDataOutputStream createNonRecursive(
      Path path,
      FsPermission permission,
      java.util.EnumSet<org.apache.hadoop.fs.CreateFlag> flags,
      int bufferSize,
      short replication,
      long blockSize,
      Progressable progress)
      throws IOException {
    Path remote = makeQualified(path);
    File parent = toLocal(remote).getParentFile();
    if (parent != null && !parent.isDirectory()) {
      throw new FileNotFoundException(remote.getParent() + ": no such folder");
    }
    boolean overwrite = flags.contains(org.apache.hadoop.fs.CreateFlag.OVERWRITE);
    return create(path, permission, overwrite, bufferSize, replication, blockSize, progress);
  }

  @Override
  public FSDataOutputStream append(Path path, int bufferSize, Progressable progress) throws IOException {
    Path remote = makeQualified(path);
    File file = toLocal(remote);
    if (!file.isFile()) {
      throw new FileNotFoundException(remote + ": no such file");
    }
    return output(file, true, bufferSize);
  }

  private FSDataOutputStream output(File file, boolean append, int bufferSize) throws IOException {
    FileOutputStream stream = new FileOutputStream(file, append);
    long start = append ? file.length() : 0;
    return new FSDataOutputStream(
        new BufferedOutputStream(stream, Math.max(bufferSize, 64 * 1024)), statistics, start);
  }

  @Override
  public boolean mkdirs(Path path, FsPermission permission) throws IOException {
    Path remote = makeQualified(path);
    makeFolders(toLocal(remote), remote);
    return true;
  }

  private void makeFolders(File dir, Path remote) throws IOException {
    if (dir == null || dir.isDirectory()) {
      return;
    }
    try {
      Files.createDirectories(dir.toPath());
    } catch (FileAlreadyExistsException e) {
      throw new ParentNotDirectoryException(remote + " (or a folder above it) is a file, not a folder");
    }
    checkInside(dir, remote.toString());
  }

  @Override
  public boolean rename(Path source, Path target) throws IOException {
    File from = toLocal(source);
    File to = toLocal(target);
    if (isRoot(from)) {
      return false;
    }
    return local.rename(new Path(from.toURI()), new Path(to.toURI()));
  }

  @Override
  public boolean delete(Path path, boolean recursive) throws IOException {
    File file = toLocal(path);
    if (isRoot(file)) {
      return false; // as S3A: the root of a bucket is never deleted
    }
    return local.delete(new Path(file.toURI()), recursive);
  }

  @Override
  public void setTimes(Path path, long mtime, long atime) throws IOException {
    local.setTimes(new Path(toLocal(path).toURI()), mtime, atime);
  }

  @Override
  public void setPermission(Path path, FsPermission permission) {
    // Objects have no permissions; the warehouse keeps its own.
  }

  @Override
  public void setOwner(Path path, String user, String group) {}

  @Override
  public void close() throws IOException {
    try {
      local.close();
    } finally {
      super.close();
    }
  }
}
