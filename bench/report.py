"""bench/report.py RESULTS.tsv HEADER PROBLEMS.txt: the markdown table bench/run writes.

RESULTS.tsv has one line per measurement: repetition, workload, contender, seconds, the counting proxy's JSON
counters since the workload began, and the mount process's peak RSS in MB ("-" when there is no mount).
Per workload and contender it prints the median time with the spread (min-max) over repetitions, and the
requests, bytes and RSS of the median repetition; then ours as a ratio to the best peer and to "direct".
"""
import json
import os
import statistics
import sys
from collections import defaultdict

ORDER = ["direct", "bucketmount", "rclone-writes", "rclone-full", "s3fs"]
PEERS = ["rclone-writes", "rclone-full", "s3fs"]


def load(path):
    cells = defaultdict(list)
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            rep, workload, who, seconds, counters, rss = line.rstrip("\n").split("\t")
            counters = json.loads(counters)
            up, down = counters.pop("bytesUp", 0), counters.pop("bytesDown", 0)
            cells[(workload, who)].append({
                "seconds": float(seconds), "kinds": counters, "requests": sum(counters.values()),
                "up": up, "down": down, "rss": None if rss == "-" else int(rss)})
    return cells


def median_run(runs):
    """The repetition whose time is the median (the lower one for an even count), so its counters go with it."""
    ordered = sorted(runs, key=lambda r: r["seconds"])
    return ordered[(len(ordered) - 1) // 2]


def fmt_seconds(runs):
    med = statistics.median(r["seconds"] for r in runs)
    if len(runs) == 1:
        return f"{med:.2f}"
    return f"{med:.2f} ({min(r['seconds'] for r in runs):.2f}–{max(r['seconds'] for r in runs):.2f})"


def ratio(best, ours):
    return "-" if best is None or ours is None or ours == 0 else f"{best / ours:.2f}x"


def main(results, header, problems_path):
    cells = load(results)
    workloads = sorted({w for w, _ in cells})
    print("# bucketmount vs rclone mount vs s3fs")
    print()
    print(header + ".")
    print()
    print("Speed ratios are the other's time divided by ours (above 1x: ours is faster). Requests are what reached")
    print("the store through the counting proxy, in the median repetition.")
    print()
    print("| workload | bucketmount s | fastest peer | vs fastest peer | vs direct | our requests | fewest peer requests |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for w in workloads:
        ours = cells.get((w, "bucketmount"))
        our_s = statistics.median(r["seconds"] for r in ours) if ours else None
        peers = [(statistics.median(r["seconds"] for r in cells[(w, p)]), p) for p in PEERS if (w, p) in cells]
        fastest = min(peers) if peers else None
        direct = cells.get((w, "direct"))
        direct_s = statistics.median(r["seconds"] for r in direct) if direct else None
        counted = "close" not in w
        our_req = median_run(ours)["requests"] if ours and counted else None
        peer_req = [(median_run(cells[(w, p)])["requests"], p) for p in PEERS if (w, p) in cells] if counted else []
        fewest = min(peer_req) if peer_req else None
        print(f"| {w} | {'-' if our_s is None else f'{our_s:.2f}'} | "
              f"{'-' if fastest is None else f'{fastest[1]} {fastest[0]:.2f}'} | "
              f"{ratio(fastest[0] if fastest else None, our_s)} | {ratio(direct_s, our_s)} | "
              f"{'-' if our_req is None else our_req} | {'-' if fewest is None else f'{fewest[1]} {fewest[0]}'} |")
    print()
    print("| workload | contender | seconds, median (min–max) | requests by kind | MB up / down | peak RSS MB |")
    print("| --- | --- | --- | --- | --- | --- |")
    for w in workloads:
        for who in ORDER:
            runs = cells.get((w, who))
            if not runs:
                continue
            m = median_run(runs)
            kinds = " ".join(f"{k}={v}" for k, v in sorted(m["kinds"].items())) or "none"
            rss = max((r["rss"] for r in runs if r["rss"] is not None), default=None)
            print(f"| {w} | {who} | {fmt_seconds(runs)} | {kinds} | {m['up'] / 1e6:.1f} / {m['down'] / 1e6:.1f} | "
                  f"{'-' if rss is None else rss} |")
    gateway_cost(cells, workloads)
    if os.path.exists(problems_path) and os.path.getsize(problems_path) > 0:
        print()
        print("Problems seen during the run:")
        print()
        with open(problems_path, encoding="utf-8") as problems:
            for line in problems:
                print(f"- {line.strip()}")


def gateway_cost(cells, workloads):
    """Rows o (--only-rows gateway): each measurement through the gateway against the same one without it."""
    through = " through the gateway"
    pairs = [(w.replace(through, ""), w) for w in workloads if through in w]
    if not pairs:
        return
    print()
    print("Cost of `bucketmount gateway` (rows o): the same work without it and through it, in the same repetitions.")
    print("Throughput is the object bytes moved per second (median run); added per request is the difference in")
    print("time divided by the requests the store saw through the gateway.")
    print()
    print("| workload | contender | without s | through s | slowdown | MB/s without / through | added per request ms |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for plain, gw in pairs:
        for who in ORDER:
            if (plain, who) not in cells or (gw, who) not in cells:
                continue
            a = statistics.median(r["seconds"] for r in cells[(plain, who)])
            b = statistics.median(r["seconds"] for r in cells[(gw, who)])
            m_a, m_b = median_run(cells[(plain, who)]), median_run(cells[(gw, who)])
            rate_a = (m_a["up"] + m_a["down"]) / 1e6 / m_a["seconds"] if m_a["seconds"] else 0
            rate_b = (m_b["up"] + m_b["down"]) / 1e6 / m_b["seconds"] if m_b["seconds"] else 0
            per_request = (b - a) / m_b["requests"] * 1000 if m_b["requests"] else None
            print(f"| {plain} | {who} | {a:.2f} | {b:.2f} | {b / a:.2f}x | {rate_a:.0f} / {rate_b:.0f} | "
                  f"{'-' if per_request is None else f'{per_request:.2f}'} |")


if __name__ == "__main__":
    main(*sys.argv[1:4])
