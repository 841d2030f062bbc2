from gluelab.runtime.transforms import *  # noqa: F403
from gluelab.runtime.transforms import __all__  # noqa: F401
