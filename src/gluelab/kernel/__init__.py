"""The "Glue PySpark (local)" Jupyter kernel: Spark in the kernel's own process, Glue's magics."""
