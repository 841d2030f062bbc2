"""The Glue scripting runtime (GlueContext, DynamicFrame, transforms, Job, bookmarks) and the Spark
session factory. So far: finding the Java that Spark runs on."""
