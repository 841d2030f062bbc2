package io.gluelab.hadoop;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.DelegateToFileSystem;

/**
 * {@link WarehouseFileSystem} for Hadoop's FileContext API ({@code fs.AbstractFileSystem.s3.impl}), which
 * Spark's streaming checkpoints use.
 */
public class WarehouseFs extends DelegateToFileSystem {
  public WarehouseFs(URI uri, Configuration conf) throws IOException, URISyntaxException {
    super(uri, new WarehouseFileSystem(), conf, uri.getScheme(), false);
  }

  @Override
  public int getUriDefaultPort() {
    return -1;
  }
}
