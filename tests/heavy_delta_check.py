#!/usr/bin/env python3
"""An independent check of `claimmap eval` deltas, written the
plain way: dictionaries and sets, whole role sets recomputed at every line.

    heavy_delta_check.py CONFIG STATE EVENTS OUTPUT [SEQ=CONFIG ...]

Replays OUTPUT against the saved STATE: every user's effective groups are
tracked from the deltas themselves, and every login or push line must carry
exactly the role delta that those groups (and the user's direct roles, from
the ok grant/revoke pushes of EVENTS) imply under the config in force —
granted = roles after - roles before, revoked = roles before - roles after.
Groups added must be new, groups removed held; stale, suspended and error
lines change nothing. SEQ=CONFIG switches the config before input line SEQ
(as `eval --reload-at`); reload lines move the tracked groups and roles by
their own deltas. Exits 1 with the first few mismatches.
"""
import json
import sys


def load_config(path):
    with open(path) as f:
        c = json.load(f)
    return {g["id"]: set(g["roles"]) for g in c["groups"]}, {r["id"] for r in c["roles"]}


def roles_of(group_roles, groups, direct):
    out = set(direct)
    for g in groups:
        out |= group_roles.get(g, set())
    return out


def main(argv):
    if len(argv) < 4:
        sys.exit(__doc__)
    config_path, state_path, events_path, output_path = argv[:4]
    reloads = {}
    for spec in argv[4:]:
        seq, path = spec.split("=", 1)
        reloads[int(seq)] = path
    group_roles, _ = load_config(config_path)

    users = {}  # (provider, subject) -> {"groups": set, "direct": set, "suspended": bool}
    with open(state_path) as f:
        for line in f:
            if not line.strip():
                continue
            s = json.loads(line)
            users[(s["provider"], s["subject"])] = {
                "groups": set() if s.get("suspended") else set(s["mapped"]) | set(s.get("manual", [])),
                "direct": set(s.get("direct_roles", [])),
                "suspended": bool(s.get("suspended")),
            }
    with open(events_path) as f:
        events = f.read().split("\n")

    errors = []
    checked = 0
    switched = set()

    def fail(msg):
        if len(errors) < 10:
            errors.append(msg)

    with open(output_path) as f:
        for text in f:
            d = json.loads(text)
            seq = d["seq"]
            for at in sorted(reloads):
                if at <= seq and at not in switched:
                    switched.add(at)
                    group_roles, role_ids = load_config(reloads[at])
                    # a deleted role leaves every direct grant too (docs/spec.md §7)
                    for u in users.values():
                        u["direct"] &= role_ids
            if d.get("cause") == "reload":
                u = users.setdefault((d["provider"], d["subject"]),
                                     {"groups": set(), "direct": set(), "suspended": False})
                u["groups"] -= set(d["groups_removed"])
                continue
            changes = d.get("groups_added", []) + d.get("groups_removed", []) + \
                d.get("roles_granted", []) + d.get("roles_revoked", [])
            if d["status"] != "ok":
                if changes:
                    fail(f"seq {seq}: status {d['status']} with changes")
                continue
            key = (d["provider"], d["subject"])
            kind = d["cause"]
            event = json.loads(events[seq - 1]) if kind in ("grant", "revoke") else None
            if kind == "delete":
                u = users.pop(key, None)
                if u is None:
                    fail(f"seq {seq}: delete of an unknown user")
                    continue
                before = roles_of(group_roles, u["groups"], set() if u["suspended"] else u["direct"])
                if set(d["groups_removed"]) != u["groups"] or d["groups_added"]:
                    fail(f"seq {seq}: delete groups")
                if set(d["roles_revoked"]) != before or d["roles_granted"]:
                    fail(f"seq {seq}: delete roles")
                checked += 1
                continue
            u = users.get(key)
            if u is None:
                if not d["new_user"]:
                    fail(f"seq {seq}: unknown user without new_user")
                u = users[key] = {"groups": set(), "direct": set(), "suspended": False}
            groups_before = set(u["groups"])
            roles_before = roles_of(group_roles, groups_before, set() if u["suspended"] else u["direct"])
            added, removed = set(d["groups_added"]), set(d["groups_removed"])
            if added & groups_before:
                fail(f"seq {seq}: added groups already held: {sorted(added & groups_before)[:3]}")
            if not removed <= groups_before:
                fail(f"seq {seq}: removed groups not held: {sorted(removed - groups_before)[:3]}")
            if kind == "grant":
                u["direct"].add(event["role"])
            elif kind == "revoke":
                u["direct"].discard(event["role"])
            elif kind == "suspend":
                u["suspended"] = True
            elif kind == "resume":
                u["suspended"] = False
            u["groups"] = (groups_before - removed) | added
            roles_after = roles_of(group_roles, u["groups"], set() if u["suspended"] else u["direct"])
            if sorted(roles_after - roles_before) != d["roles_granted"]:
                fail(f"seq {seq} ({kind}): roles_granted {d['roles_granted'][:5]}... "
                     f"expected {sorted(roles_after - roles_before)[:5]}...")
            if sorted(roles_before - roles_after) != d["roles_revoked"]:
                fail(f"seq {seq} ({kind}): roles_revoked {d['roles_revoked'][:5]}... "
                     f"expected {sorted(roles_before - roles_after)[:5]}...")
            for name in ("groups_added", "groups_removed", "roles_granted", "roles_revoked"):
                if d[name] != sorted(d[name]):
                    fail(f"seq {seq}: {name} not sorted")
            checked += 1
    if errors:
        print("heavy_delta_check: FAILED")
        for e in errors:
            print("  " + e)
        return 1
    print(f"heavy_delta_check: {checked} login and push lines agree with the set-based reference")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
