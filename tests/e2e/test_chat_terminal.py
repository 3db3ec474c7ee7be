"""`docqa chat` in a real pseudo-terminal: what a user at a shell sees (the greeting with the document
count, answers, "Read as" for a follow-up, /new, Ctrl-D). The CLI tests without a terminal never run the
interactive branch; a crash there (issue #34: `index.num_documents` at start) is only seen like this."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import time

from tests.conftest import DOCQA, prebuilt

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class Terminal:
    """A process on the slave side of a pty; what it printed, without colours, read from the master."""

    def __init__(self, args: list[str], env: dict[str, str]):
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
        os.close(slave)
        self.seen = ""

    def read_until(self, pattern: str, within: float = 60.0) -> str:
        """Everything printed up to and including `pattern` (a regex); fails after `within` seconds."""
        deadline = time.monotonic() + within
        while not re.search(pattern, self.seen):
            left = deadline - time.monotonic()
            assert left > 0, f"no {pattern!r} within {within} s; the terminal shows:\n{self.seen}"
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.master, 65536).decode("utf-8", "replace")
                except OSError:  # the process ended and closed the terminal
                    chunk = ""
                assert chunk or re.search(pattern, self.seen), f"the process ended; it showed:\n{self.seen}"
                self.seen += ANSI.sub("", chunk).replace("\r\n", "\n")
        return self.seen

    def type(self, text: str) -> None:
        os.write(self.master, text.encode("utf-8"))

    def close(self) -> int:
        try:
            return self.process.wait(timeout=30)
        finally:
            os.close(self.master)


def test_chat_in_a_real_terminal_greets_answers_follows_up_and_ends_on_ctrl_d(corpus, index_dir, seed_index_template):
    prebuilt(index_dir, seed_index_template)
    env = {**os.environ, "DOCQA_CORPUS": str(corpus), "DOCQA_INDEX_DIR": str(index_dir), "TERM": "xterm"}
    term = Terminal([DOCQA, "chat", "-k", "2"], env)
    try:
        documents = len(list(corpus.iterdir()))
        assert re.search(rf"Ask about the {documents} documents in ", term.read_until(r"\? $"))
        term.type("Who is the mayor of Calais?\n")
        answer = term.read_until(r"\(searched: [^\n]*\n(?:.*\n)*?\? $")
        assert "Natacha Bouchart" in answer and "[1] uk-france-keep-all-options-on-the-table" in answer
        term.type("What did she say?\n")
        follow_up = term.read_until(r"Read as: What did Natacha Bouchart say\?(?:.*\n)*?\? $")
        assert "she said" in follow_up.split("Read as:")[-1]
        term.type("/new\n")
        term.read_until(r"\(new conversation\)\n\? $")
        term.type("\x04")  # Ctrl-D at the prompt ends the chat
        assert term.close() == 0
    finally:
        term.process.kill()
