"""``analyze_query_performance``: slow statements and index trouble, from PostgreSQL's own
statistics.

With ``pg_stat_statements`` installed, the slowest statements by mean and total time. It needs
``shared_preload_libraries`` (the embedded server does not ship it), so without it the report
says so and relies on the table statistics every server keeps: tables read mostly by
sequential scans (an index is probably missing) and indexes never used since the statistics
were reset (they cost every write).
"""

from __future__ import annotations

from typing import Any

from django.db import connection

# Below this many live rows a sequential scan is the right plan: not a finding.
SEQ_SCAN_MIN_ROWS = 10_000
# Tables with fewer scans than this have not been used enough to judge.
SEQ_SCAN_MIN_SCANS = 50


def _rows(sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        names = [col.name for col in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _has_pg_stat_statements() -> bool:
    rows = _rows("SELECT 1 AS present FROM pg_extension WHERE extname = 'pg_stat_statements'")
    return bool(rows)


def _slow_statements(limit: int) -> list[dict[str, Any]]:
    rows = _rows(
        "SELECT left(query, 500) AS query, calls, round(mean_exec_time::numeric, 2) AS mean_ms, "
        "round(total_exec_time::numeric, 2) AS total_ms, rows "
        "FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database "
        "WHERE datname = current_database()) ORDER BY mean_exec_time DESC LIMIT %s",
        [limit],
    )
    return [
        {**row, "mean_ms": float(row["mean_ms"]), "total_ms": float(row["total_ms"])}
        for row in rows
    ]


def _scan_stats(limit: int) -> list[dict[str, Any]]:
    return _rows(
        "SELECT schemaname AS schema, relname AS table, seq_scan, seq_tup_read, "
        "coalesce(idx_scan, 0) AS idx_scan, n_live_tup AS live_rows "
        "FROM pg_stat_user_tables ORDER BY seq_tup_read DESC, relname LIMIT %s",
        [limit],
    )


def _unused_indexes(limit: int) -> list[dict[str, Any]]:
    return _rows(
        "SELECT s.schemaname AS schema, s.relname AS table, s.indexrelname AS index, "
        "pg_relation_size(s.indexrelid) AS size_bytes "
        "FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid "
        "WHERE s.idx_scan = 0 AND NOT i.indisunique AND NOT i.indisprimary "
        "ORDER BY pg_relation_size(s.indexrelid) DESC, s.indexrelname LIMIT %s",
        [limit],
    )


def query_performance_analyze(*, limit: int = 20) -> dict[str, Any]:
    """The report: ``findings`` (what to look at) plus the statistics they come from."""
    findings: list[dict[str, Any]] = []
    statements_available = _has_pg_stat_statements()
    slow: list[dict[str, Any]] = []
    if statements_available:
        slow = _slow_statements(limit)
        findings += [
            {
                "kind": "slow_statement",
                "detail": f"{row['mean_ms']} ms mean over {row['calls']} "
                f"calls: {row['query'][:200]}",
            }
            for row in slow
            if row["mean_ms"] >= 100
        ]
    scans = _scan_stats(limit)
    for row in scans:
        if (
            row["live_rows"] >= SEQ_SCAN_MIN_ROWS
            and row["seq_scan"] >= SEQ_SCAN_MIN_SCANS
            and row["seq_scan"] > row["idx_scan"]
        ):
            findings.append(
                {
                    "kind": "missing_index",
                    "detail": f"{row['schema']}.{row['table']}: {row['seq_scan']} sequential "
                    f"scans read {row['seq_tup_read']} rows, {row['idx_scan']} index scans",
                }
            )
    unused = _unused_indexes(limit)
    findings += [
        {
            "kind": "unused_index",
            "detail": f"{row['schema']}.{row['index']} on {row['table']} "
            f"({row['size_bytes']} bytes) never used since statistics were reset",
        }
        for row in unused
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT stats_reset FROM pg_stat_database WHERE datname = current_database()"
        )
        reset = cursor.fetchone()
    return {
        "pg_stat_statements": "installed"
        if statements_available
        else (
            "not installed (needs shared_preload_libraries = 'pg_stat_statements' and "
            "CREATE EXTENSION); slow statements not reported"
        ),
        "statistics_since": reset[0].isoformat() if reset and reset[0] else None,
        "findings": findings,
        "slow_statements": slow,
        "table_scans": scans,
        "unused_indexes": unused,
    }
