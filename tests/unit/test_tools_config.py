from pathlib import Path

import pytest

from backend.tools.config import ToolsConfig, ToolsConfigError, load_tools_config, tool_name

SERVERS = {"weather": {"url": "http://weather:8000/mcp"}, "notes": {"command": ["notes-server"]}}


def test_a_character_may_use_only_the_tools_its_patterns_name() -> None:
    config = ToolsConfig.model_validate(
        {"servers": SERVERS, "characters": {"default": ["weather.*"], "quiz": ["notes.read"]}}
    )
    assert config.allows("default", "weather", "forecast")
    assert not config.allows("default", "notes", "read")
    assert config.allows("quiz", "notes", "read")
    assert not config.allows("quiz", "notes", "write")
    assert not config.allows("unlisted", "weather", "forecast")


def test_star_lists_every_character() -> None:
    config = ToolsConfig.model_validate({"servers": SERVERS, "characters": {"*": ["notes.read"]}})
    assert config.allows("anyone", "notes", "read")
    assert not config.allows("anyone", "weather", "forecast")


@pytest.mark.parametrize(
    ("yaml_text", "named"),
    [
        ("servers: {w: {}}", "url"),
        ("servers: {w: {url: 'http://a', command: [x]}}", "either"),
        ("servers: {w: {url: 'ftp://a'}}", "http://"),
        ("servers: {'bad.name': {url: 'http://a'}}", "bad.name"),
        ("servers: {w: {url: 'http://a'}}\ncharacters: {default: [x.*]}", "no server 'x'"),
        ("deadline_s: 0", "deadline_s"),
        ("surprise: 1", "surprise"),
        ("servers: [", "not valid YAML"),
    ],
)
def test_a_bad_configuration_names_what_to_fix(tmp_path: Path, yaml_text: str, named: str) -> None:
    path = tmp_path / "tools.yaml"
    path.write_text(yaml_text)
    with pytest.raises(ToolsConfigError, match=r"tools\.yaml") as problem:
        load_tools_config(path)
    assert named in str(problem.value)


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ToolsConfigError, match="cannot read"):
        load_tools_config(tmp_path / "absent.yaml")


def test_llm_tool_names_fit_openai_rules() -> None:
    assert tool_name("weather", "forecast") == "weather__forecast"
    assert len(tool_name("w" * 24, "t" * 80)) == 64
