"""Bad input to the command line: one clear message, a failing exit status, nothing modified."""

import hashlib
import sqlite3
import subprocess

from tablecast_testkit import tablecast_binary

TIMEOUT = 30


def run(*args):
    return subprocess.run([str(tablecast_binary()), *args], capture_output=True, text=True, timeout=TIMEOUT)


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_file_that_is_not_sqlite_is_refused_untouched(tmp_path):
    path = tmp_path / "notes.sqlite"
    path.write_bytes(b"these are not the rows you are looking for\n" * 10)
    before = digest(path)
    result = run("serve", "--port", "0", "--journal", str(path))
    assert result.returncode == 1, result
    assert str(path) in result.stderr and "not a tablecast journal" in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert digest(path) == before


def test_another_programs_database_is_refused_untouched(tmp_path):
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT)")
        db.execute("INSERT INTO customers(name) VALUES ('maria')")
    before = digest(path)
    result = run("serve", "--port", "0", "--journal", str(path))
    assert result.returncode == 1, result
    assert "not a tablecast journal" in result.stderr, result.stderr
    assert digest(path) == before


def test_a_journal_in_a_missing_directory_names_the_path(tmp_path):
    path = tmp_path / "missing" / "journal.sqlite"
    result = run("serve", "--port", "0", "--journal", str(path))
    assert result.returncode == 1, result
    assert str(path) in result.stderr, result.stderr
    assert not path.exists()


def test_an_out_of_range_port_names_the_option():
    result = run("serve", "--port", "70000")
    assert result.returncode == 64, result
    assert "--port" in result.stderr, result.stderr


def test_a_port_in_use_is_one_clear_line(servers, tmp_path):
    server = servers.serve()
    result = run("serve", "--port", str(server.port), "--journal", str(tmp_path / "second.sqlite"))
    assert result.returncode == 1, result
    assert result.stderr.strip() == f"error: cannot listen on 127.0.0.1:{server.port}: Address already in use"


def test_journal_verify_refuses_a_file_that_is_not_a_journal(tmp_path):
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT)")
    before = digest(path)
    result = run("journal", "verify", str(path))
    assert result.returncode == 1, result
    assert "not a tablecast journal" in result.stderr, result.stderr
    assert digest(path) == before


def test_journal_verify_of_a_missing_file_is_one_clear_line(tmp_path):
    path = tmp_path / "nope.sqlite"
    result = run("journal", "verify", str(path))
    assert result.returncode == 1, result
    assert str(path) in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert not path.exists()


def test_a_restaurant_file_error_names_file_line_and_field(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("tables:\n  - { number: 1, seats: 4 }\nmenu:\n  - { id: 1, name: Soup, category: Starters, price: cheap }\nstaff: []\n")
    result = run("serve", "--port", "0", "--journal", str(tmp_path / "j.sqlite"), "--restaurant", str(path))
    assert result.returncode == 1, result
    assert result.stderr.strip() == f'error: {path}:4: menu[0].price: expected an integer, found "cheap"'
    assert not (tmp_path / "j.sqlite").exists()


def test_record_takes_only_a_json_object_as_auth(tmp_path):
    out = tmp_path / "recorded.sqlite"
    for auth in ["[1]", '"token"', '{"token":', '{"token":"x"} trailing', "{'token':'x'}"]:
        result = run("record", "http://127.0.0.1:9/events", "--out", str(out), "--auth", auth)
        assert result.returncode == 64, (auth, result)
        assert "--auth must be a JSON object" in result.stderr, (auth, result.stderr)
        assert not out.exists()
