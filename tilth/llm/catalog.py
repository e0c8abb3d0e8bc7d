"""The LLM segments as workspace tables: `llm_cache`, `llm_usage`, the `llm_usage_by_step` view, and
`llm_judge_summary`. Called by the runner (the only process that opens the database) after each step."""

from __future__ import annotations

from pathlib import Path

from tilth.storage.sql import quote_ident

CACHE_COLUMNS = ("{key: 'VARCHAR', model: 'VARCHAR', request: 'VARCHAR', content: 'VARCHAR', "
                 "prompt_tokens: 'BIGINT', completion_tokens: 'BIGINT', created: 'DOUBLE'}")
USAGE_COLUMNS = ("{run: 'VARCHAR', step: 'VARCHAR', step_index: 'INTEGER', operator: 'VARCHAR', key: 'VARCHAR', "
                 "model: 'VARCHAR', cached: 'BOOLEAN', prompt_tokens: 'BIGINT', completion_tokens: 'BIGINT', "
                 "attempts: 'INTEGER', seconds: 'DOUBLE', ts: 'DOUBLE'}")
DDL = f"""
CREATE TABLE IF NOT EXISTS llm_cache AS SELECT * FROM read_json('/dev/null', columns={CACHE_COLUMNS}) LIMIT 0;
CREATE TABLE IF NOT EXISTS llm_usage AS SELECT * FROM read_json('/dev/null', columns={USAGE_COLUMNS}) LIMIT 0;
CREATE TABLE IF NOT EXISTS llm_judge_summary (run VARCHAR, step VARCHAR, criterion VARCHAR, judged BIGINT,
    mean DOUBLE, PRIMARY KEY (run, step, criterion));
"""


def _load(con, table: str, directory: Path, columns: str, dedup_key: str | None = None) -> None:
    files = sorted(str(p) for p in directory.glob("*.jsonl")) if directory.is_dir() else []
    if not files:
        return
    src = (f"read_json(?, format='newline_delimited', columns={columns}, ignore_errors=true)")
    query = f"SELECT * FROM {src}"
    if dedup_key:  # two workers may have answered the same key before either saw the other's segment
        query = f"SELECT * FROM {src} QUALIFY row_number() OVER (PARTITION BY {dedup_key} ORDER BY created) = 1"
    con.execute(f"CREATE OR REPLACE TABLE {table} AS {query}", [files])


def refresh_llm_tables(con, workspace: str | Path) -> None:
    """Rebuild llm_cache / llm_usage from all segments (cheap: they are small next to the data)."""
    root = Path(workspace)
    con.execute(DDL)
    _load(con, "llm_cache", root / "llm" / "cache", CACHE_COLUMNS, dedup_key="key")
    _load(con, "llm_usage", root / "llm" / "usage", USAGE_COLUMNS)
    con.execute(
        "CREATE OR REPLACE VIEW llm_usage_by_step AS SELECT run, step, operator, model, "
        "count(*) AS answers, count(*) FILTER (WHERE NOT cached) AS requests, "
        "count(*) FILTER (WHERE cached) AS cache_hits, "
        "sum(prompt_tokens) FILTER (WHERE NOT cached) AS prompt_tokens, "
        "sum(completion_tokens) FILTER (WHERE NOT cached) AS completion_tokens, "
        "sum(prompt_tokens + completion_tokens) FILTER (WHERE cached) AS tokens_saved, "
        "sum(attempts) AS http_attempts "
        "FROM llm_usage GROUP BY ALL ORDER BY run, step"
    )


def record_judge_summary(con, run: str, step) -> None:
    """Mean judge score per criterion over the judged rows of a finished llm_judge step."""
    con.execute("DELETE FROM llm_judge_summary WHERE run = ? AND step = ?", [run, step.name])
    for c in ("coherence", "helpfulness", "relevance"):
        con.execute(
            f"INSERT INTO llm_judge_summary SELECT ?, ?, ?, count(judge_{c}), avg(judge_{c}) FROM {quote_ident(step.view)}",
            [run, step.name, c],
        )
