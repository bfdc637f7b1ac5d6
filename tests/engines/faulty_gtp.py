"""A GTP engine that misbehaves on purpose, for the match referee's tests.

    python faulty_gtp.py MODE    MODE: illegal | crash | hang | garbage | slow | badbytes | legal

It answers every command correctly except genmove, where it plays the
occupied point D4 (illegal), exits (crash), never answers (hang), answers
text that is no GTP (garbage), sleeps 3 s then plays a legal move (slow),
or answers bytes that are not UTF-8 (badbytes); in any other mode (legal) it plays a free point.
"""

import sys
import time

COLUMNS = "ABCDEFGHJKLMNOPQRST"


def main() -> None:
    mode = sys.argv[1]
    free = [f"{c}{r}" for r in range(1, 20) for c in COLUMNS]
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        command = words[0]
        if command == "play" and len(words) == 3 and words[2] in free:
            free.remove(words[2])
        if command == "genmove":
            if mode == "crash":
                sys.exit(3)
            if mode == "hang":
                time.sleep(3600)
            if mode == "garbage":
                print("banana\n", flush=True)
                continue
            if mode == "badbytes":
                sys.stdout.buffer.write(b"= \xff\xfe\x80\n\n")
                sys.stdout.buffer.flush()
                continue
            if mode == "slow":
                time.sleep(3)
            answer = "D4" if mode == "illegal" else free.pop()
        elif command == "name":
            answer = f"faulty-{mode}"
        elif command == "quit":
            print("=\n", flush=True)
            return
        else:
            answer = ""
        print(f"= {answer}\n", flush=True)


if __name__ == "__main__":
    main()
