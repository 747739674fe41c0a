"""Reading batch input (replies or whole chats, CSV or JSONL) and writing, resuming, reading output rows.

Input rows:
- a reply: `id`, `text`, optional `customer_message`, `agent`, `created_at` -> one output row, same id;
- a chat (JSONL: an object with `messages`; CSV: one message per row with `chat_id` and `role` columns):
  `chat_id` (or `id`), optional `agent`, `resolved_at`; each message `role` (customer | agent), `author`,
  `timestamp` (ISO 8601; no offset = Moscow time), `text` -> one output row per agent message, id
  `<chat_id>/<index of the message in the chat>`.
A row that cannot be read becomes one error row: id as given (a chat's id), else `line:<n>`.

Output rows are JSONL (the report's fields at the top level, like `replyscore check --jsonl`) or CSV
(nested fields as JSON text). Appends are flushed per chunk; on resume a torn last row is cut off.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import IO, Any

from replyscore.eval.sla import Chat, ChatMessage
from replyscore.model.deadlines import parse_moment

ROLES = ("customer", "agent")
CSV_COLUMNS = (
    "id",
    "chat_id",
    "message_index",
    "agent",
    "created_at",
    "customer_message",
    "text",
    "css_score",
    "tone_label",
    "categories",
    "error",
    "offset_unit",
    "text_length",
    "matches",
    "signals",
    "tone",
    "css",
    "model",
    "status",
)
CSV_JSON = frozenset({"matches", "signals", "tone", "css"})
CSV_DERIVED = frozenset({"css_score", "tone_label", "categories", "status"})
_COMPLETE_CSV_RECORD = re.compile(rb",(?:ok|error)\r?\n")
csv.field_size_limit(2**31 - 1)


class BatchInputError(ValueError):
    """The input or output file as a whole cannot be used."""


@dataclass(frozen=True, slots=True)
class Item:
    """One output row to produce: a reply to score, or an error to record."""

    id: str | int
    chat_id: str | None = None
    message_index: int | None = None
    agent: str | None = None
    created_at: str | None = None
    customer_message: str | None = None
    text: str | None = None
    error: str | None = None

    @property
    def key(self) -> str:
        return str(self.id)

    def meta(self) -> dict[str, Any]:
        """The row's fields other than the report, without empty ones."""
        return {k: v for k in _META if (v := getattr(self, k)) is not None}

    def to_json(self) -> str:
        return json.dumps({k: v for k in _FIELDS if (v := getattr(self, k)) is not None}, ensure_ascii=False)

    @classmethod
    def from_json(cls, data: str) -> Item:
        return cls(**json.loads(data))


_FIELDS = tuple(f.name for f in fields(Item))
_META = tuple(f for f in _FIELDS if f not in ("text", "error"))


# -- input -----------------------------------------------------------------------------------------


def file_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    raise BatchInputError(f"{path}: unknown format {suffix!r}; use .jsonl or .csv")


def _text_field(value: object, name: str, required: bool) -> str | None:
    if value is None or value == "":
        if required:
            raise ValueError(f"field {name!r} is missing")
        return None
    if not isinstance(value, str):
        raise ValueError(f"field {name!r} must be a string")
    return value


def _moment(value: object, name: str) -> str:
    text = _text_field(value, name, True)
    try:
        parse_moment(text)
    except ValueError:
        raise ValueError(f"field {name!r} is not an ISO 8601 time: {text!r}") from None
    return str(text)


def _id(value: object) -> str | int | None:
    if isinstance(value, bool) or value is None or value == "":
        return None
    return value if isinstance(value, str | int) else str(value)


def reply_item(row: dict[str, Any], line: int) -> Item:
    row_id = _id(row.get("id"))
    if row_id is None:
        return Item(f"line:{line}", error=f"line {line}: field 'id' is missing")
    try:
        text = row.get("text")
        if not isinstance(text, str):
            raise ValueError("field 'text' must be a string")
        created = row.get("created_at")
        return Item(
            row_id,
            agent=_text_field(row.get("agent"), "agent", False),
            created_at=_moment(created, "created_at") if created not in (None, "") else None,
            customer_message=_text_field(row.get("customer_message"), "customer_message", False),
            text=text,
        )
    except ValueError as exc:
        return Item(row_id, error=f"line {line}: {exc}")


def parse_chat(row: dict[str, Any]) -> Chat:
    """A chat object -> Chat; ValueError names the first problem."""
    chat_id = _id(row.get("chat_id", row.get("id")))
    if chat_id is None:
        raise ValueError("field 'chat_id' is missing")
    messages = row.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ValueError("field 'messages' must be a non-empty list")
    parsed = []
    for index, message in enumerate(messages):
        try:
            if not isinstance(message, dict):
                raise ValueError("must be an object")
            role = message.get("role")
            if role not in ROLES:
                raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
            text = message.get("text")
            if not isinstance(text, str):
                raise ValueError("field 'text' must be a string")
            parsed.append(
                ChatMessage(
                    role,
                    _text_field(message.get("author"), "author", False),
                    parse_moment(_moment(message.get("timestamp"), "timestamp")),
                    text,
                )
            )
        except ValueError as exc:
            raise ValueError(f"message {index}: {exc}") from None
    resolved = row.get("resolved_at")
    return Chat(
        str(chat_id),
        tuple(parsed),
        _text_field(row.get("agent"), "agent", False),
        parse_moment(_moment(resolved, "resolved_at")) if resolved not in (None, "") else None,
    )


def chat_items(row: dict[str, Any], line: int) -> Iterator[Item]:
    """The agent messages of a chat as items, or one error item."""
    try:
        chat = parse_chat(row)
    except ValueError as exc:
        chat_id = _id(row.get("chat_id", row.get("id")))
        yield Item(chat_id if chat_id is not None else f"line:{line}", error=f"line {line}: chat: {exc}")
        return
    raw = row["messages"]
    for index, message in enumerate(chat.messages):
        if message.role != "agent":
            continue
        customer = _customer_context(chat, index)
        yield Item(
            f"{chat.id}/{index}",
            chat.id,
            index,
            message.author,
            raw[index]["timestamp"],
            customer,
            message.text,
        )


def _customer_context(chat: Chat, index: int) -> str | None:
    """The customer messages right before an agent message."""
    before: list[str] = []
    for message in reversed(chat.messages[:index]):
        if message.role != "customer":
            if before:
                break
            continue
        before.append(message.text)
    return "\n".join(reversed(before)) or None


def _jsonl_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(line number, object) or (line number, error message) for every non-blank line."""
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                value = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError:
                yield number, f"line {number}: not valid UTF-8"
                continue
            except json.JSONDecodeError as exc:
                yield number, f"line {number}: invalid JSON ({exc.msg})"
                continue
            yield number, value if isinstance(value, dict) else f"line {number}: expected a JSON object"


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        for row in reader:
            yield reader.line_num, {k: v for k, v in row.items() if k is not None}


def _is_chat_csv(path: Path) -> bool:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        header = next(csv.reader(fh), [])
    return {"chat_id", "role"} <= {h.strip() for h in header}


def _grouped_csv_chats(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Message rows grouped by chat_id (in order of first appearance) as chat objects."""
    chats: dict[str, tuple[int, dict[str, Any]]] = {}
    for line, row in _csv_rows(path):
        key = row.get("chat_id") or f"line:{line}"
        if key not in chats:
            chats[key] = (
                line,
                {
                    "chat_id": row.get("chat_id"),
                    "agent": row.get("agent") or None,
                    "resolved_at": row.get("resolved_at") or None,
                    "messages": [],
                },
            )
        chats[key][1]["messages"].append({k: row.get(k) for k in ("role", "author", "timestamp", "text")})
    yield from chats.values()


def read_records(path: Path) -> Iterator[tuple[int, dict[str, Any] | str, bool]]:
    """(line, object or error, is a chat) for every record of the input."""
    try:
        if file_format(path) == "jsonl":
            for line, row in _jsonl_rows(path):
                yield line, row, isinstance(row, dict) and "messages" in row
        elif _is_chat_csv(path):
            for line, row in _grouped_csv_chats(path):
                yield line, row, True
        else:
            for line, row in _csv_rows(path):
                yield line, row, False
    except UnicodeDecodeError as exc:
        raise BatchInputError(f"{path} is not valid UTF-8 ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise BatchInputError(f"cannot read {path}: {exc.strerror}") from exc


def read_items(path: Path) -> Iterator[Item]:
    """Every output row the input asks for, in input order."""
    for line, row, is_chat in read_records(path):
        if isinstance(row, str):
            yield Item(f"line:{line}", error=row)
        elif is_chat:
            yield from chat_items(row, line)
        else:
            yield reply_item(row, line)


def read_chats(path: Path) -> Iterator[Chat]:
    """The well-formed chats of the input (for the SLA)."""
    for _, row, is_chat in read_records(path):
        if is_chat and isinstance(row, dict):
            try:
                yield parse_chat(row)
            except ValueError:
                continue


# -- output ----------------------------------------------------------------------------------------


def _csv_cell(row: dict[str, Any], column: str) -> Any:
    if column == "css_score":
        return (row.get("css") or {}).get("score", "")
    if column == "tone_label":
        tone = row.get("tone")
        return tone[0]["label"] if tone else ""
    if column == "categories":
        return " ".join(sorted({m["rule"]["category"] for m in row.get("matches", [])}))
    if column == "status":
        return "error" if "error" in row else "ok"
    value = row.get(column)
    if column in CSV_JSON:
        return "" if value is None else json.dumps(value, ensure_ascii=False)
    return "" if value is None else value


def _csv_row(cells: dict[str, str]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for column, value in cells.items():
        if column in CSV_DERIVED or value == "":
            continue
        if column in CSV_JSON:
            row[column] = json.loads(value)
        elif column in ("message_index", "text_length"):
            row[column] = int(value)
        else:
            row[column] = value
    if "matches" in row and "tone" not in row:
        row["tone"] = None  # a rules-only report: tone null, as in JSONL
    return row


class RowWriter:
    """Appends output rows; `flush` after each chunk makes them survive a kill."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.format = file_format(path)
        fresh = not path.exists() or path.stat().st_size == 0
        self._fh: IO[str] = path.open("a", encoding="utf-8", newline="")
        self._csv = csv.writer(self._fh, lineterminator="\n") if self.format == "csv" else None
        if self._csv is not None and fresh:
            self._csv.writerow(CSV_COLUMNS)

    def write(self, rows: Iterable[dict[str, Any]]) -> None:
        if self._csv is None:
            self._fh.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
        else:
            self._csv.writerows([_csv_cell(r, c) for c in CSV_COLUMNS] for r in rows)

    def flush(self) -> None:
        """Hand the rows to the OS: they survive the process being killed (not a power cut)."""
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> RowWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _complete_jsonl(data: bytes, path: Path) -> tuple[list[dict[str, Any]], int]:
    rows, end = [], 0
    for line in data.splitlines(keepends=True):
        if not line.endswith(b"\n"):
            break  # torn by a kill: cut off
        if line.strip():
            try:
                rows.append(json.loads(line))
            except (UnicodeDecodeError, json.JSONDecodeError):
                raise BatchInputError(
                    f"{path}: row {len(rows) + 1} is not a JSON row written by "
                    "replyscore batch; use another output file"
                ) from None
        end += len(line)
    return rows, end


def _complete_csv(data: bytes, path: Path) -> tuple[list[dict[str, Any]], int]:
    """Rows of complete records: all columns, a known status, ending in a newline."""
    lines = data.splitlines(keepends=True)
    consumed = 0

    def feed() -> Iterator[str]:
        nonlocal consumed
        for line in lines:
            if not line.endswith(b"\n"):
                return
            consumed += len(line)
            yield line.decode("utf-8", errors="replace")

    reader = csv.reader(feed(), strict=True)
    header = next(reader, None)
    if header is None:
        return [], 0
    if tuple(header) != CSV_COLUMNS:
        raise BatchInputError(f"{path}: its header is not replyscore batch's; use another output file")
    rows, end = [], consumed
    try:
        for record in reader:
            if len(record) != len(CSV_COLUMNS) or record[-1] not in ("ok", "error"):
                break
            rows.append(_csv_row(dict(zip(CSV_COLUMNS, record, strict=True))))
            end = consumed
    except (csv.Error, json.JSONDecodeError, ValueError):
        pass  # a record torn inside a quoted field
    if _COMPLETE_CSV_RECORD.search(data, end):  # more than one torn record: damage, not a kill
        raise BatchInputError(f"{path}: row {len(rows) + 1} is damaged; fix it or use another output file")
    return rows, end


def read_output(path: Path, repair: bool = False) -> list[dict[str, Any]]:
    """The complete rows of an output file; with `repair`, a torn tail is cut off the file."""
    if not path.exists():
        return []
    data = path.read_bytes()
    rows, end = (_complete_jsonl if file_format(path) == "jsonl" else _complete_csv)(data, path)
    if repair and end < len(data):
        with path.open("r+b") as fh:
            fh.truncate(end)
    return rows


def done_ids(rows: Iterable[dict[str, Any]]) -> Counter[str]:
    """How many rows each id already has (duplicate ids resume by position)."""
    return Counter(str(r.get("id")) for r in rows)


def csv_text(rows: Iterable[dict[str, Any]], columns: Iterable[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
