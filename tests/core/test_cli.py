"""Operator command: content-sync (every domain registers its shipped content)."""

from __future__ import annotations


def test_content_sync_runs(runner):
    result = runner.invoke(args=["content-sync"])
    assert result.exit_code == 0, result.output
