// The tree store's files and SyncTogether, which a checkpoint uses to make
// every level file and the positions durable at once.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ledger/ledger_test_util.h"
#include "storage/tree_store.h"

namespace actledger {
namespace {

using storage::FixedArrayFile;
using storage::TreeStore;
using testing::TempDir;

merkle::Hash Filled(uint8_t byte) {
  merkle::Hash h;
  h.fill(byte);
  return h;
}

TEST(TreeStoreFiles, ListsEveryLevelWrittenLowestFirst) {
  TempDir dir;
  Result<std::unique_ptr<TreeStore>> tree =
      TreeStore::Open(dir.path() + "/tree", true);
  ASSERT_TRUE(tree.ok()) << tree.status().ToString();
  // Four leaves complete nodes at levels 0, 1 and 2.
  for (uint64_t i = 0; i < 4; ++i) (*tree)->Add(0, i, Filled(1));
  (*tree)->Add(1, 0, Filled(2));
  (*tree)->Add(1, 1, Filled(3));
  (*tree)->Add(2, 0, Filled(4));
  ASSERT_TRUE((*tree)->Flush().ok());

  Result<std::vector<FixedArrayFile*>> files = (*tree)->Files();
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  ASSERT_EQ(files->size(), 3u);
  for (int level = 0; level < 3; ++level) {
    EXPECT_EQ((*files)[level]->path(), (*tree)->LevelPath(level));
  }
  EXPECT_EQ(*(*files)[0]->Count(), 4u);
  EXPECT_EQ(*(*files)[2]->Count(), 1u);
  EXPECT_TRUE(storage::SyncTogether(*files).ok());
  EXPECT_TRUE((*tree)->Sync().ok());
}

TEST(SyncTogether, NothingToSyncIsOk) {
  EXPECT_TRUE(storage::SyncTogether({}).ok());
}

TEST(SyncTogether, AFileThatCannotBeSyncedFailsTheWholeCall) {
  TempDir dir;
  Result<FixedArrayFile> a =
      FixedArrayFile::Open(dir.path() + "/a", 32, /*writable=*/true);
  Result<FixedArrayFile> b =
      FixedArrayFile::Open(dir.path() + "/b", 32, /*writable=*/true);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(a->Append(std::string(32, 'a')).ok());
  FixedArrayFile closed;  // no file open: fdatasync fails with EBADF

  // Wherever the failing file stands among the others.
  for (const std::vector<FixedArrayFile*>& files :
       {std::vector<FixedArrayFile*>{&closed, &*a, &*b},
        std::vector<FixedArrayFile*>{&*a, &*b, &closed}}) {
    const Status st = storage::SyncTogether(files);
    EXPECT_FALSE(st.ok());
    EXPECT_NE(st.message().find("fdatasync"), std::string::npos)
        << st.ToString();
  }
  EXPECT_TRUE(storage::SyncTogether({&*a, &*b}).ok());
}

}  // namespace
}  // namespace actledger
