"""jupyter_kernel_test's conformance suite for the "Glue PySpark (local)" kernel."""

from __future__ import annotations

import tempfile
from pathlib import Path

import jupyter_kernel_test
import pytest
from jupyter_client.manager import start_new_kernel

from tests.helpers import gluelab_env

pytestmark = pytest.mark.slow


class TestGlueLocalKernelConformance(jupyter_kernel_test.KernelTests):
    kernel_name = "glue_pyspark_local"
    language_name = "python"
    file_extension = ".py"

    code_hello_world = "print('hello, world')"
    code_stderr = "import sys; print('test', file=sys.stderr)"
    completion_samples = [{"text": "zi", "matches": {"zip"}}]
    complete_code_samples = ["1", "print('hello, world')", "def f(x):\n  return x*2\n\n\n"]
    incomplete_code_samples = ["print('''hello", "def f(x):\n  x*2"]
    invalid_code_samples = ["import = 7q"]
    code_page_something = "print?"
    code_generate_error = "raise ValueError('boom')"
    code_execute_result = [{"code": "1+2+3", "result": "6"}, {"code": "6 * 7", "result": "42"}]
    code_display_data = [
        {"code": "from IPython.display import HTML, display; display(HTML('<b>t</b>'))", "mime": "text/html"},
        {"code": "%status", "mime": "text/html"},
    ]
    code_history_pattern = "1?2*"
    # "range" is left out: IPython answers a range request with session 0 for the current session, which
    # jupyter_kernel_test 0.7 rejects for ipykernel's own python3 kernel too.
    supported_history_operations = ("tail", "search")
    code_inspect_sample = "zip"
    code_clear_output = "from IPython.display import clear_output; clear_output()"

    @classmethod
    def setUpClass(cls) -> None:
        root = Path(tempfile.mkdtemp(prefix="gluelab-conformance-"))
        env = gluelab_env(root / "home", IPYTHONDIR=str(root / "ipython"))
        cls.km, cls.kc = start_new_kernel(kernel_name=cls.kernel_name, env=env)
