"""AWS Glue's module names (``awsglue.context``, ``awsglue.dynamicframe`` ...), re-exporting
``gluelab.runtime``. Filled by the runtime; no logic of its own."""
