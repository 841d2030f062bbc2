"""getResolvedOptions resolves job arguments exactly as aws-glue-libs (Glue 6.0) does, quirks included."""

import argparse
import inspect
import json
import subprocess
import sys
import textwrap

import pytest

import awsglue.utils
from gluelab.runtime import utils as runtime_utils
from gluelab.runtime.utils import GlueArgumentError, callsite, getResolvedOptions, makeOptions

ALWAYS = {
    "job_bookmark_option": "job-bookmark-disable",
    "job_bookmark_from": None,
    "job_bookmark_to": None,
    "JOB_ID": None,
    "JOB_RUN_ID": None,
    "SECURITY_CONFIGURATION": None,
    "encryption_type": None,
    "enable_data_lineage": None,
    "RedshiftTempDir": None,
    "TempDir": None,
}


@pytest.fixture(autouse=True)
def clean_global_args():
    runtime_utils._global_args.clear()
    yield
    runtime_utils._global_args.clear()


def resolve(argv: list[str], options: list[str], **kwargs) -> dict:
    return getResolvedOptions(["script.py", *argv], options, **kwargs)


# --- requested arguments --------------------------------------------------------------------------


def test_requested_arguments_and_every_always_registered_key():
    args = resolve(["--JOB_NAME", "job1", "--input", "s3://b/in"], ["JOB_NAME", "input"])
    assert args == {**ALWAYS, "JOB_NAME": "job1", "input": "s3://b/in"}


def test_job_name_is_absent_unless_requested():
    args = resolve(["--JOB_NAME", "job1", "--input", "s3://b/in"], ["input"])
    assert "JOB_NAME" not in args
    assert args == {**ALWAYS, "input": "s3://b/in"}


def test_nothing_requested_gives_only_the_always_registered_keys():
    assert resolve([], []) == ALWAYS


def test_missing_required_argument_raises_glue_argument_error_without_exiting_or_printing(capsys):
    with pytest.raises(GlueArgumentError, match="the following arguments are required: --input"):
        resolve(["--JOB_NAME", "job1"], ["JOB_NAME", "input"])
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_glue_argument_error_is_an_exception_not_system_exit():
    assert issubclass(GlueArgumentError, Exception)
    assert not issubclass(GlueArgumentError, SystemExit)
    with pytest.raises(GlueArgumentError):  # a SystemExit would escape this and fail the test
        resolve(["--input"], ["input"])


def test_flag_without_a_value_raises():
    with pytest.raises(GlueArgumentError, match="--input: expected one argument"):
        resolve(["--input"], ["input"])


def test_args_zero_is_the_script_and_is_skipped():
    assert getResolvedOptions(["--input", "s3://b/in"], []) == ALWAYS
    with pytest.raises(GlueArgumentError):
        getResolvedOptions(["--input", "s3://b/in"], ["input"])


def test_dash_becomes_underscore_in_the_key():
    args = resolve(["--source-path", "s3://b/src", "--target_table", "t"], ["source-path", "target_table"])
    assert args["source_path"] == "s3://b/src"
    assert args["target_table"] == "t"
    assert "source-path" not in args


def test_values_are_strings():
    args = resolve(["--count", "5", "--flag", "true", "--ratio", "0.5"], ["count", "flag", "ratio"])
    assert (args["count"], args["flag"], args["ratio"]) == ("5", "true", "0.5")


def test_equals_form_works_as_argparse_does():
    args = resolve(["--input=s3://b/in", "--expr=a=b", "--JOB_RUN_ID=jr_1"], ["input", "expr"])
    assert args["input"] == "s3://b/in"
    assert args["expr"] == "a=b"
    assert args["JOB_RUN_ID"] == "jr_1"


def test_last_occurrence_wins():
    assert resolve(["--input", "a", "--input", "b"], ["input"])["input"] == "b"


def test_unknown_arguments_are_ignored():
    argv = [
        "--scriptLocation",
        "s3://scripts/job.py",
        "--job-language",
        "python",
        "--enable-metrics",
        "true",
        "--conf",
        "spark.x=1 --conf spark.y=2",
        "--input",
        "s3://b/in",
        "stray-positional",
        "--extra-py-files",
        "s3://libs/a.zip,s3://libs/b.zip",
        "--debug",
    ]
    assert resolve(argv, ["input"]) == {**ALWAYS, "input": "s3://b/in"}


def test_options_may_be_any_iterable():
    args = getResolvedOptions(["s.py", "--a", "1", "--b", "2"], (name for name in ("a", "b")))
    assert (args["a"], args["b"]) == ("1", "2")


# --- always-registered optional arguments ---------------------------------------------------------


def test_id_params_are_readable_without_being_requested():
    args = resolve(
        ["--JOB_ID", "j_1", "--JOB_RUN_ID", "jr_1", "--SECURITY_CONFIGURATION", "sc", "--JOB_NAME", "n"], []
    )
    assert (args["JOB_ID"], args["JOB_RUN_ID"], args["SECURITY_CONFIGURATION"]) == ("j_1", "jr_1", "sc")
    assert "JOB_NAME" not in args


def test_encryption_type_accepts_only_sse_s3():
    assert resolve(["--encryption-type", "sse-s3"], [])["encryption_type"] == "sse-s3"
    with pytest.raises(GlueArgumentError, match="invalid choice: 'sse-kms'"):
        resolve(["--encryption-type", "sse-kms"], [])


def test_enable_data_lineage_takes_any_string():
    assert resolve(["--enable-data-lineage", "true"], [])["enable_data_lineage"] == "true"


@pytest.mark.parametrize("option", ["job-bookmark-enable", "job-bookmark-pause", "job-bookmark-disable"])
def test_job_bookmark_option_choices(option):
    assert resolve(["--job-bookmark-option", option], [])["job_bookmark_option"] == option


def test_job_bookmark_option_rejects_other_values():
    with pytest.raises(GlueArgumentError, match="invalid choice: 'enable'"):
        resolve(["--job-bookmark-option", "enable"], [])


# --- reserved names -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "job-bookmark-option",
        "continuation-option",
        "job-bookmark-from",
        "job-bookmark-to",
        "JOB_ID",
        "JOB_RUN_ID",
        "SECURITY_CONFIGURATION",
    ],
)
def test_reserved_names_raise_runtime_error(name):
    with pytest.raises(RuntimeError, match=f"Using reserved arguments (--)?{name}$") as caught:
        resolve([f"--{name}", "x"], ["input", name])
    assert not isinstance(caught.value, GlueArgumentError)


def test_job_name_is_not_reserved():
    assert resolve(["--JOB_NAME", "j"], ["JOB_NAME"])["JOB_NAME"] == "j"


@pytest.mark.parametrize("option", ["--encryption-type", "--enable-data-lineage"])
def test_encryption_and_lineage_are_reserved_only_in_their_dashed_spelling(option):
    with pytest.raises(RuntimeError, match=f"Using reserved arguments {option}$"):
        resolve([], [option])


@pytest.mark.parametrize("name", ["encryption-type", "enable-data-lineage"])
def test_encryption_and_lineage_plain_names_fail_as_argparse_conflicts_like_on_aws(name):
    # Glue's reserved-name check compares the "--" spelling, so the plain name slips through and argparse
    # refuses to register the option twice.
    with pytest.raises(argparse.ArgumentError, match="conflicting option string"):
        resolve([f"--{name}", "x"], [name])


# --- TempDir / RedshiftTempDir --------------------------------------------------------------------


def test_temp_dir_is_mirrored_into_redshift_temp_dir():
    args = resolve(["--TempDir", "s3://b/tmp"], [])
    assert args["TempDir"] == args["RedshiftTempDir"] == "s3://b/tmp"


def test_redshift_temp_dir_is_mirrored_into_temp_dir():
    args = resolve(["--RedshiftTempDir", "s3://b/rs"], [])
    assert args["TempDir"] == args["RedshiftTempDir"] == "s3://b/rs"


def test_temp_dir_wins_when_both_are_given():
    args = resolve(["--RedshiftTempDir", "s3://b/rs", "--TempDir", "s3://b/tmp"], [])
    assert args["TempDir"] == args["RedshiftTempDir"] == "s3://b/tmp"


def test_requesting_temp_dirs_does_not_make_them_required():
    args = resolve(["--JOB_NAME", "j"], ["JOB_NAME", "TempDir", "RedshiftTempDir"])
    assert args["TempDir"] is None and args["RedshiftTempDir"] is None
    assert resolve(["--TempDir", "s3://b/t"], ["TempDir"])["RedshiftTempDir"] == "s3://b/t"


# --- bookmark option and legacy continuation option -----------------------------------------------


@pytest.mark.parametrize(
    ("continuation", "bookmark"),
    [
        ("continuation-enabled", "job-bookmark-enable"),
        ("continuation-readonly", "job-bookmark-pause"),
        ("continuation-ignore", "job-bookmark-disable"),
    ],
)
def test_continuation_option_maps_to_bookmark_option(continuation, bookmark):
    args = resolve(["--continuation-option", continuation], [])
    assert args["job_bookmark_option"] == bookmark
    assert "continuation_option" not in args


def test_explicit_bookmark_option_wins_over_continuation_option():
    argv = ["--continuation-option", "continuation-enabled", "--job-bookmark-option", "job-bookmark-pause"]
    assert resolve(argv, [])["job_bookmark_option"] == "job-bookmark-pause"
    argv = ["--job-bookmark-option", "job-bookmark-disable", "--continuation-option", "continuation-enabled"]
    assert resolve(argv, [])["job_bookmark_option"] == "job-bookmark-disable"


def test_continuation_option_rejects_other_values():
    with pytest.raises(GlueArgumentError, match="invalid choice"):
        resolve(["--continuation-option", "on"], [])


# --- bookmark range -------------------------------------------------------------------------------

PAUSE = ["--job-bookmark-option", "job-bookmark-pause"]


def test_pause_with_both_range_ends():
    args = resolve([*PAUSE, "--job-bookmark-from", "jr_a", "--job-bookmark-to", "jr_b"], [])
    assert (args["job_bookmark_from"], args["job_bookmark_to"]) == ("jr_a", "jr_b")


def test_pause_with_no_range():
    args = resolve(PAUSE, [])
    assert args["job_bookmark_option"] == "job-bookmark-pause"
    assert args["job_bookmark_from"] is None and args["job_bookmark_to"] is None


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        (["--job-bookmark-from", "jr_a"], "--job-bookmark-to"),
        (["--job-bookmark-to", "jr_b"], "--job-bookmark-from"),
    ],
)
def test_pause_with_one_range_end_raises(given, missing):
    with pytest.raises(GlueArgumentError, match=f"Missing option or value for {missing}$") as caught:
        resolve([*PAUSE, *given], [])
    assert isinstance(caught.value, RuntimeError)  # what aws-glue-libs raises; catching either works


def test_legacy_readonly_continuation_is_pause_and_allows_a_range():
    argv = [
        "--continuation-option",
        "continuation-readonly",
        "--job-bookmark-from",
        "a",
        "--job-bookmark-to",
        "b",
    ]
    assert resolve(argv, [])["job_bookmark_to"] == "b"


@pytest.mark.parametrize(
    "mode",
    [
        [],
        ["--job-bookmark-option", "job-bookmark-enable"],
        ["--job-bookmark-option", "job-bookmark-disable"],
        ["--continuation-option", "continuation-enabled"],
    ],
)
def test_range_without_pause_raises(mode):
    with pytest.raises(
        GlueArgumentError, match="Invalid option\\(s\\) --job-bookmark-from --job-bookmark-to"
    ):
        resolve([*mode, "--job-bookmark-from", "a", "--job-bookmark-to", "b"], [])


@pytest.mark.parametrize("given", [["--job-bookmark-from", "a"], ["--job-bookmark-to", "b"]])
def test_one_range_end_without_pause_is_accepted(given):
    # Glue only refuses a complete range outside pause; a lone end passes through.
    args = resolve(["--job-bookmark-option", "job-bookmark-enable", *given], [])
    assert args["job_bookmark_option"] == "job-bookmark-enable"
    assert given[1] in (args["job_bookmark_from"], args["job_bookmark_to"])


def test_empty_string_counts_as_a_given_range_end():
    with pytest.raises(GlueArgumentError, match="Invalid option"):
        resolve(["--job-bookmark-from", "", "--job-bookmark-to", ""], [])


# --- abbreviations --------------------------------------------------------------------------------


def test_abbreviations_are_rejected_by_default():
    with pytest.raises(GlueArgumentError, match="required: --additional-params"):
        resolve(["--additional-p", "x"], ["additional-params"])


def test_abbreviated_always_registered_option_is_just_unknown_by_default():
    args = resolve(["--job-bookmark-opt", "job-bookmark-enable", "--TempD", "s3://b/t"], [])
    assert args["job_bookmark_option"] == "job-bookmark-disable"
    assert args["TempDir"] is None


def test_abbreviations_allowed_with_allow_abbrev():
    args = resolve(
        ["--additional-p", "x", "--job-bookmark-opt", "job-bookmark-enable"],
        ["additional-params"],
        allow_abbrev=True,
    )
    assert args["additional_params"] == "x"
    assert args["job_bookmark_option"] == "job-bookmark-enable"


def test_ambiguous_abbreviation_raises_with_allow_abbrev():
    with pytest.raises(GlueArgumentError, match="ambiguous option: --job-bookmark"):
        resolve(["--job-bookmark", "x"], [], allow_abbrev=True)


def test_allow_abbrev_defaults_to_false():
    assert inspect.signature(getResolvedOptions).parameters["allow_abbrev"].default is False


# --- _global_args ---------------------------------------------------------------------------------


def test_result_is_stored_in_global_args():
    global_args = runtime_utils._global_args
    args = resolve(["--TempDir", "s3://b/tmp", "--input", "i"], ["input"])
    assert runtime_utils._global_args is global_args  # updated in place, references stay valid
    assert global_args == args
    assert global_args["TempDir"] == "s3://b/tmp"


def test_global_args_merge_across_calls():
    resolve(["--input", "i"], ["input"])
    resolve(["--output", "o", "--TempDir", "s3://b/t"], ["output"])
    assert runtime_utils._global_args["input"] == "i"
    assert runtime_utils._global_args["output"] == "o"
    assert runtime_utils._global_args["TempDir"] == "s3://b/t"


def test_failed_resolution_leaves_global_args_untouched():
    with pytest.raises(GlueArgumentError):
        resolve([], ["input"])
    assert runtime_utils._global_args == {}


# --- makeOptions and callsite ---------------------------------------------------------------------


def test_make_options_returns_a_dict_unchanged():
    options = {"paths": ["s3://b/in"], "recurse": True}
    assert makeOptions(None, options) is options


def test_make_options_parses_a_json_string():
    assert makeOptions(None, '{"a": 1}') == {"a": 1}


def test_make_options_rejects_other_types():
    with pytest.raises(TypeError, match="in makeOptions"):
        makeOptions(None, [("a", 1)])


def _library_function() -> str:
    return callsite()


def test_callsite_is_the_callers_caller():
    line = inspect.currentframe().f_lineno + 1
    site = _library_function()
    assert site == f"test_resolved_options.py:{line}"


# --- the awsglue facade ---------------------------------------------------------------------------


def test_awsglue_utils_reexports_the_runtime():
    assert awsglue.utils.getResolvedOptions is getResolvedOptions
    assert awsglue.utils.GlueArgumentError is GlueArgumentError
    assert awsglue.utils.makeOptions is makeOptions
    assert awsglue.utils.callsite is callsite
    assert sorted(awsglue.utils.__all__) == [
        "GlueArgumentError",
        "callsite",
        "getResolvedOptions",
        "makeOptions",
    ]


def test_a_glue_script_resolves_its_arguments_in_a_subprocess(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(
        textwrap.dedent(
            """
            import json
            import sys

            from awsglue.utils import getResolvedOptions

            args = getResolvedOptions(sys.argv, ["JOB_NAME", "input"])
            print(json.dumps(args))
            """
        )
    )
    argv = ["--JOB_NAME", "job1", "--input", "s3://b/in", "--JOB_RUN_ID", "jr_1"]
    out = subprocess.run(
        [sys.executable, str(script), *argv], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {
        **ALWAYS,
        "JOB_NAME": "job1",
        "input": "s3://b/in",
        "JOB_RUN_ID": "jr_1",
    }


def test_a_glue_script_missing_an_argument_fails_with_glue_argument_error(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(
        "import sys\nfrom awsglue.utils import getResolvedOptions\ngetResolvedOptions(sys.argv, ['input'])\n"
    )
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert out.returncode == 1
    assert "GlueArgumentError: the following arguments are required: --input" in out.stderr
    assert "usage:" not in out.stderr
