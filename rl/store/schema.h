// The run store's schema: one migration per version, applied in order inside a transaction;
// the version lives in PRAGMA user_version. Documented table by table in docs/store.md, the
// public interface of a run. Only append migrations; never edit a released one.
#pragma once

#include <string_view>
#include <vector>

namespace rl::store {

// migrations()[i] takes the database from version i to version i + 1.
const std::vector<std::string_view>& Migrations();
inline int LatestSchemaVersion() { return static_cast<int>(Migrations().size()); }

}  // namespace rl::store
