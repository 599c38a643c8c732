// Where an instance's base tree comes from: a directory, a tarball or a git bundle shipped with
// the dataset (docs/swe.md, "Repository forms"). Tarballs and bundles are trusted dataset
// files: they are unpacked on the host (outside the sandbox) once into a private per-user
// cache and the cached directory is used as the pristine tree from then on.
//
//   directory               used as is (base_commit must be "")
//   *.tar, *.tar.gz, *.tgz  `tar -xf` into the cache; a single top-level directory becomes the
//                           root (base_commit must be "")
//   *.bundle                `git clone` of the bundle, `git checkout base_commit` (the bundle's
//                           HEAD when ""), then `.git` is removed so no history (and no later
//                           fix) reaches the sandbox. Needs git on PATH.
//
// Cache: $RL_SWE_CACHE, else <tmp>/rl_swe_cache_<uid> (created 0700; refused when it is not a
// directory owned by the caller). Entries are keyed by the file's absolute path, size, mtime and
// base_commit, built in a temporary directory and renamed into place, so concurrent processes
// never see a half-unpacked tree.
//
// Thread-safety: safe to call from many threads and processes. Errors: InvalidArgument for an
// unsupported path or a base_commit on a non-bundle; FailedPrecondition when tar/git are
// missing or fail (the message carries their stderr).
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace rl::swe {

// Returns the directory holding the base tree of `repo` (an absolute path).
absl::StatusOr<std::string> MaterializeRepo(const std::string& repo,
                                            const std::string& base_commit);

}  // namespace rl::swe
