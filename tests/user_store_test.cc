// The compact user store (engine/state/user_store.h): records round-trip through
// their narrow and wide layouts, survive growth and deletion, and keep users
// of different providers apart.
#include "engine/state/user_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

namespace claimmap {
namespace {

UserState make_state(uint32_t mapped, uint32_t manual, uint32_t direct, double iat, bool suspended) {
  UserState s;
  for (uint32_t i = 0; i < mapped; ++i) s.mapped.push_back({GroupId{i}, MappingId{i * 3 + 1}});
  for (uint32_t i = 0; i < manual; ++i) s.manual.push_back(GroupId{i * 2});
  for (uint32_t i = 0; i < direct; ++i) s.direct_roles.push_back(RoleId{i + 5});
  s.has_iat = iat != 0;
  s.last_iat = iat;
  s.suspended = suspended;
  return s;
}

void expect_same(const UserState& a, const UserState& b) {
  EXPECT_EQ(a.mapped, b.mapped);
  EXPECT_EQ(a.manual, b.manual);
  EXPECT_EQ(a.direct_roles, b.direct_roles);
  EXPECT_EQ(a.has_iat, b.has_iat);
  EXPECT_EQ(a.last_iat, b.last_iat);
  EXPECT_EQ(a.suspended, b.suspended);
}

UserState load(UserStore& store, ProviderKey p, std::string_view subject, bool* found = nullptr) {
  UserState out;
  store.with_user(p, subject, [&](UserHandle& h) {
    if (found) *found = h.exists();
    if (h.exists()) h.load(&out);
  });
  return out;
}

void save(UserStore& store, ProviderKey p, std::string_view subject, const UserState& s) {
  store.with_user(p, subject, [&](UserHandle& h) { h.save(s); });
}

TEST(UserStore, RecordsChangeShapeBetweenNarrowAndWide) {
  UserStore store;
  const std::string subject = "4a1f6c2e-8b3d-4e9a-b7c5-0d2e1f3a4b5c";
  const UserState shapes[] = {
      make_state(0, 0, 0, 0, false),      make_state(5, 1, 2, 1700000000.5, false),
      make_state(300, 0, 0, 7, true),     // wide: more than 255 mapped pairs
      make_state(2, 1000, 400, 8, false),  // wide: manual and direct
      make_state(5, 1, 2, 9, false),      // narrow again
      make_state(5, 2, 1, 10, false),     // same size, other layout
  };
  for (const UserState& s : shapes) {
    save(store, ProviderKey{1}, subject, s);
    bool found = false;
    expect_same(load(store, ProviderKey{1}, subject, &found), s);
    EXPECT_TRUE(found);
    EXPECT_EQ(store.size(), 1u);
  }
}

TEST(UserStore, LargeProviderIndexIsKept) {
  UserStore store;
  const UserState s = make_state(3, 0, 0, 5, false);
  save(store, ProviderKey{70000}, "u", s);
  save(store, ProviderKey{70000 - 65536}, "u", make_state(1, 0, 0, 6, false));
  expect_same(load(store, ProviderKey{70000}, "u"), s);
  EXPECT_EQ(store.size(), 2u);
  auto users = store.sorted_users();
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[1].first.provider, ProviderKey{70000});
}

TEST(UserStore, ManyUsersGrowthAndDeletion) {
  UserStore store;
  constexpr int kUsers = 50000;
  for (int i = 0; i < kUsers; ++i) save(store, ProviderKey{0}, "user-" + std::to_string(i), make_state(i % 7, 0, 0, i + 1, false));
  EXPECT_EQ(store.size(), static_cast<size_t>(kUsers));
  for (int i = 0; i < kUsers; i += 2) {
    store.with_user(ProviderKey{0}, "user-" + std::to_string(i), [](UserHandle& h) {
      ASSERT_TRUE(h.exists());
      h.erase();
    });
  }
  EXPECT_EQ(store.size(), static_cast<size_t>(kUsers / 2));
  // Deleted slots are reused and the rest still resolve.
  for (int i = 0; i < kUsers; i += 2) save(store, ProviderKey{0}, "new-" + std::to_string(i), make_state(1, 1, 1, 1, false));
  for (int i = 1; i < kUsers; i += 2) {
    bool found = false;
    expect_same(load(store, ProviderKey{0}, "user-" + std::to_string(i), &found), make_state(i % 7, 0, 0, i + 1, false));
    ASSERT_TRUE(found) << i;
  }
  bool found = true;
  load(store, ProviderKey{0}, "user-0", &found);
  EXPECT_FALSE(found);
  EXPECT_EQ(store.size(), static_cast<size_t>(kUsers));
}

TEST(UserStore, SubjectsAreBytesIncludingNul) {
  UserStore store;
  save(store, ProviderKey{0}, std::string_view("u\0", 2), make_state(1, 0, 0, 1, false));
  save(store, ProviderKey{0}, "u", make_state(2, 0, 0, 2, false));
  EXPECT_EQ(store.size(), 2u);
  EXPECT_EQ(load(store, ProviderKey{0}, std::string_view("u\0", 2)).mapped.size(), 1u);
}

// GUID subjects are stored as 16 bytes (engine/state/user_store.cc): every
// text form still names its own user and is spelled back exactly, through a
// lookup, sorted_users() and a shard walk, including through a login's
// in-place save and a record that moves to another block.
TEST(UserStore, GuidSubjectsKeepTheirExactText) {
  const std::vector<std::string> subjects = {
      "0f8fad5b-d9cb-469f-a165-70867728950e",  // lowercase: packed
      "0F8FAD5B-D9CB-469F-A165-70867728950E",  // the same GUID uppercase: another user, packed
      "0F8FAD5B-d9cb-469f-a165-70867728950e",  // mixed case: kept as written
      "00000000-0000-0000-0000-000000000000",  // digits only
      "0f8fad5b-d9cb-469f-a165-70867728950g",  // not hex
      "0f8fad5b-d9cb-469f-a165+70867728950e",  // not a hyphen
      "0f8fad5bd9cb469fa16570867728950e",      // no hyphens: 32 characters
  };
  UserStore store;
  for (size_t i = 0; i < subjects.size(); ++i) save(store, ProviderKey{0}, subjects[i], make_state(1 + i, 1, 0, 10 + i, false));
  EXPECT_EQ(store.size(), subjects.size());
  for (size_t i = 0; i < subjects.size(); ++i) {
    bool found = false;
    const UserState s = load(store, ProviderKey{0}, subjects[i], &found);
    EXPECT_TRUE(found) << subjects[i];
    EXPECT_EQ(s.mapped.size(), 1 + i) << subjects[i];
  }
  bool found = true;
  load(store, ProviderKey{0}, "0f8fad5b-d9cb-469f-a165-70867728950f", &found);  // a packed neighbour
  EXPECT_FALSE(found);
  // A login grows the mapped set: the record moves to a bigger block.
  store.with_user(ProviderKey{0}, subjects[1], [](UserHandle& h) {
    std::vector<MappedPair> more(9, MappedPair{GroupId{1}, MappingId{2}});
    const std::span<const MappedPair> view(more);
    h.save_login(&view, true, 99);
  });
  EXPECT_EQ(load(store, ProviderKey{0}, subjects[1]).mapped.size(), 9u);
  std::vector<std::string> sorted;
  for (const auto& [key, state] : store.sorted_users()) sorted.push_back(key.subject);
  std::vector<std::string> expected = subjects;
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(sorted, expected);
  std::vector<std::string> walked;
  for (size_t shard = 0; shard < UserStore::kShardCount; ++shard) {
    store.with_shard(shard, [&](LockedShard& locked) {
      locked.for_each_user([&](ProviderKey, std::string_view subject, UserHandle& h) {
        EXPECT_TRUE(h.exists());
        walked.emplace_back(subject);
      });
    });
  }
  std::sort(walked.begin(), walked.end());
  EXPECT_EQ(walked, expected);
}

// A GUID subject's record holds 16 bytes of it, not 36.
TEST(UserStore, GuidSubjectsTakeSixteenBytes) {
  UserStore guids, texts;
  for (int i = 0; i < 20000; ++i) {
    char guid[40];
    std::snprintf(guid, sizeof guid, "%08x-d9cb-469f-a165-%012x", i, i * 7);
    save(guids, ProviderKey{0}, guid, make_state(5, 0, 0, 1, false));
    std::string text(guid);
    text[8] = '_';  // no longer a GUID: kept as its 36 characters
    save(texts, ProviderKey{0}, text, make_state(5, 0, 0, 1, false));
  }
  // 20 bytes of each record saved (36 → 16), give or take the arena's rounding.
  EXPECT_GE(texts.memory_bytes() - guids.memory_bytes(), 20000u * 16);
}

TEST(UserStore, ClearFreesEverything) {
  UserStore store;
  for (int i = 0; i < 1000; ++i) save(store, ProviderKey{0}, std::to_string(i), make_state(300, 0, 0, 1, false));
  EXPECT_GT(store.memory_bytes(), 1000u * 300 * 8);
  store.clear();
  EXPECT_EQ(store.size(), 0u);
  EXPECT_EQ(store.memory_bytes(), 0u);
}

// The prefetch hints read the table without being part of a lookup: on an
// empty store, while the table grows past several rebuilds, for absent users
// and after clear() they must neither fault nor change what is stored.
TEST(UserStore, PrefetchHintsChangeNothing) {
  UserStore store;
  store.prefetch_slot(ProviderKey{0}, "nobody");
  store.prefetch_record(ProviderKey{0}, "nobody");
  const UserState s = make_state(3, 1, 1, 5, false);
  for (int i = 0; i < 5000; ++i) {
    const std::string subject = "user-" + std::to_string(i);
    store.prefetch_slot(ProviderKey{2}, subject);
    store.prefetch_record(ProviderKey{2}, subject);
    save(store, ProviderKey{2}, subject, s);
    store.prefetch_slot(ProviderKey{2}, subject);
    store.prefetch_record(ProviderKey{2}, subject);
  }
  EXPECT_EQ(store.size(), 5000u);
  for (int i = 0; i < 5000; i += 499) {
    bool found = false;
    expect_same(load(store, ProviderKey{2}, "user-" + std::to_string(i), &found), s);
    EXPECT_TRUE(found);
  }
  store.clear();
  store.prefetch_slot(ProviderKey{2}, "user-1");
  store.prefetch_record(ProviderKey{2}, "user-1");
  bool found = true;
  load(store, ProviderKey{2}, "user-1", &found);
  EXPECT_FALSE(found);
  EXPECT_EQ(store.size(), 0u);
}

}  // namespace
}  // namespace claimmap
