#!/usr/bin/env python3
"""The plain way to do what `claimmap eval` does at a login, as a yardstick:
dictionaries and sets, json.loads and json.dumps, one thread.

    heavy_peer.py CONFIG STATE EVENTS > OUTPUT

It reads the same files as `claimmap eval --config CONFIG --state STATE
EVENTS` and writes one line a login with the same members (groups added and
removed, roles granted and revoked, sorted). It does the work of the exact
mappings only: envelope or bare token, the provider by id or issuer, the
subject claim, a claim by name or JSON Pointer, a delimiter, a mapping's
scope, manual groups and direct roles, new users, the stale guard. No patterns,
requirements, signatures or pushes: it is as fast as this plain way gets,
which is what the ratio in benchmarks/README.md ("Fast at every size") is
measured against. On stderr: seconds loading, seconds and events/s (every
line but blank ones, as eval counts) of the stream alone.
"""
import json
import sys
import time


def pointer(claim):
    if not claim.startswith("/"):
        return [claim]
    return [t.replace("~1", "/").replace("~0", "~") for t in claim[1:].split("/")]


def main(config_path, state_path, events_path):
    t0 = time.perf_counter()
    with open(config_path) as f:
        c = json.load(f)
    group_roles = {g["id"]: frozenset(g["roles"]) for g in c["groups"]}
    group_stage = {g["id"]: g["stage"] for g in c["groups"]}
    providers, by_issuer = {}, {}
    for p in c["providers"]:
        scope = p["scope"]
        providers[p["id"]] = {"subject": p.get("subject_claim", "sub"), "claims": {},
                              "scope": None if scope == "organization" else set(scope)}
        if p.get("issuer"):
            by_issuer[p["issuer"]] = p["id"]
    for m in c["mappings"]:
        p = providers[m["provider"]]
        if p["scope"] is not None and group_stage[m["group"]] not in p["scope"]:
            continue  # inactive: its group is outside the provider's scope
        key = (m["claim"], m.get("delimiter") or "")
        table = p["claims"].setdefault(key, {"path": pointer(m["claim"]), "values": {}})
        table["values"].setdefault(m["value"], set()).add(m["group"])

    users = {}
    with open(state_path) as f:
        for line in f:
            if not line.strip():
                continue
            s = json.loads(line)
            users[(s["provider"], s["subject"])] = {
                "mapped": set(s.get("mapped", {})), "manual": set(s.get("manual", [])),
                "direct": set(s.get("direct_roles", [])), "suspended": bool(s.get("suspended")),
                "iat": s.get("last_iat")}
    t1 = time.perf_counter()

    out = sys.stdout
    events = 0
    with open(events_path) as f:
        for seq, line in enumerate(f, 1):
            if not line.strip():
                continue
            events += 1  # as eval counts them: every line but blank ones
            try:
                e = json.loads(line)
            except ValueError:
                continue  # claimmap writes an error line for it
            if not isinstance(e, dict):
                continue  # likewise
            if "claims" in e:
                claims = e["claims"]
                if not isinstance(claims, dict):
                    continue
                provider_id = e.get("provider") or by_issuer.get(claims.get("iss"))
            else:
                claims, provider_id = e, by_issuer.get(e.get("iss"))
            p = providers.get(provider_id)
            if p is None:
                continue
            subject = claims.get(p["subject"])
            matched = set()
            for (claim, delimiter), table in p["claims"].items():
                v = claims
                for token in table["path"]:
                    v = v.get(token) if isinstance(v, dict) else None
                if v is None:
                    continue
                candidates = v if isinstance(v, list) else [v]
                values = table["values"]
                for candidate in candidates:
                    if not isinstance(candidate, str):
                        continue
                    parts = [x.strip() for x in candidate.split(delimiter)] if delimiter else [candidate]
                    for part in parts:
                        groups = values.get(part)
                        if groups:
                            matched |= groups
            user = users.get((provider_id, subject))
            new_user = user is None
            if new_user:
                user = users[(provider_id, subject)] = {"mapped": set(), "manual": set(), "direct": set(),
                                                        "suspended": False, "iat": None}
            if user["suspended"]:
                continue
            iat = claims.get("iat")
            if isinstance(iat, (int, float)) and not isinstance(iat, bool):
                if user["iat"] is not None and iat < user["iat"]:
                    continue  # stale: an old token never re-grants
                user["iat"] = iat
            before = set(user["direct"])
            for g in user["mapped"] | user["manual"]:
                before |= group_roles[g]
            added, removed = matched - user["mapped"], user["mapped"] - matched
            user["mapped"] = matched
            after = set(user["direct"])
            for g in matched | user["manual"]:
                after |= group_roles[g]
            out.write(json.dumps({"seq": seq, "cause": "login", "provider": provider_id, "subject": subject,
                                  "status": "ok", "new_user": new_user,
                                  "groups_added": sorted(added - user["manual"]),
                                  "groups_removed": sorted(removed - user["manual"]),
                                  "roles_granted": sorted(after - before), "roles_revoked": sorted(before - after)}))
            out.write("\n")
    t2 = time.perf_counter()
    sys.stderr.write(f"load: {t1 - t0:.2f} s; stream: {t2 - t1:.2f} s, {events / (t2 - t1):.0f} events/s\n")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
