// Binary encodings of the records the stores keep (catalog items, user
// histories), shared by the snapshot files and RocksDB values.
#ifndef TAILOR_STORAGE_RECORDS_H_
#define TAILOR_STORAGE_RECORDS_H_

#include <vector>

#include "core/catalog.h"
#include "storage/coding.h"
#include "storage/state_store.h"

namespace tailor {

void EncodeItem(const Item& item, Encoder* e);
// False when the input is truncated.
bool DecodeItem(Decoder* d, Item* item);

void EncodeHistory(const std::vector<HistoryEntry>& history, Encoder* e);
bool DecodeHistory(Decoder* d, std::vector<HistoryEntry>* history);

}  // namespace tailor

#endif  // TAILOR_STORAGE_RECORDS_H_
