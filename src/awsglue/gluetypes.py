from gluelab.runtime.gluetypes import *  # noqa: F403
from gluelab.runtime.gluetypes import mergeDataTypes  # noqa: F401
from gluelab.runtime.records import DynamicRecord  # noqa: F401
