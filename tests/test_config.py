import os
import stat
import threading

import pytest

from gluelab.config import DEFAULT_PORT, Settings, SettingsError


def test_defaults_live_in_the_home(tmp_path):
    s = Settings.load(env={"GLUELAB_HOME": str(tmp_path)})
    assert s.home == tmp_path.resolve()
    assert s.warehouse_dir == tmp_path.resolve() / "warehouse"
    assert s.database_url == f"sqlite:///{tmp_path.resolve() / 'gluelab.db'}"
    assert (s.host, s.port) == ("127.0.0.1", DEFAULT_PORT)


def test_environment_beats_config_file_beats_defaults(tmp_path):
    (tmp_path / "config.toml").write_text('port = 9001\nregion = "eu-west-1"\nhost = "127.0.0.2"\n')
    s = Settings.load(env={"GLUELAB_HOME": str(tmp_path), "GLUELAB_PORT": "9002"})
    assert s.port == 9002  # env wins
    assert s.region == "eu-west-1"  # file beats default
    assert s.host == "127.0.0.2"


def test_config_file_may_use_a_gluelab_table(tmp_path):
    (tmp_path / "config.toml").write_text('[gluelab]\ndatabase_url = "postgresql://u@h/db"\n')
    assert Settings.load(env={"GLUELAB_HOME": str(tmp_path)}).database_url == "postgresql://u@h/db"


@pytest.mark.parametrize(
    "content, message",
    [
        ("port = 'abc'", "port must be an integer"),
        ("port = 70000", "port must be between"),
        ("account_id = '12'", "account_id must be 12 digits"),
        ("colour = 'red'", "unknown setting(s): colour"),
        ("port = ", "config.toml"),
    ],
)
def test_bad_settings_are_named(tmp_path, content, message):
    (tmp_path / "config.toml").write_text(content)
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Settings.load(env={"GLUELAB_HOME": str(tmp_path)})


def test_token_is_created_once_with_mode_0600(tmp_path):
    s = Settings.load(env={"GLUELAB_HOME": str(tmp_path / "h")})
    token = s.token
    assert len(token) >= 32
    assert stat.S_IMODE(os.stat(s.token_path).st_mode) == 0o600
    assert Settings.load(env={"GLUELAB_HOME": str(tmp_path / "h")}).token == token


def test_concurrent_first_use_agrees_on_one_token(tmp_path):
    s = Settings.load(env={"GLUELAB_HOME": str(tmp_path)})
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(s.token)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(seen)) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["token"]  # no temp files left behind
