// Binary encodings of the records the stores keep (catalog items and
// live-catalog entries, user
// histories, customer records), shared by the snapshot files and RocksDB
// values.
#ifndef TAILOR_STORAGE_RECORDS_H_
#define TAILOR_STORAGE_RECORDS_H_

#include <vector>

#include "core/base/catalog.h"
#include "core/base/catalog_change.h"
#include "core/customers/customer_record.h"
#include "core/experiments/experiment.h"
#include "core/experiments/exposure.h"
#include "storage/coding.h"
#include "storage/state_store.h"

namespace tailor {

void EncodeItem(const Item& item, Encoder* e);
// False when the input is truncated.
bool DecodeItem(Decoder* d, Item* item);

// A live-catalog entry: the item (as EncodeItem, then its stock per size),
// retired, version, update time and sequence number.
void EncodeLiveItem(const LiveItem& entry, Encoder* e);
// False when the input is truncated or the stock per size disagrees with
// the sizes.
bool DecodeLiveItem(Decoder* d, LiveItem* entry);

void EncodeHistory(const UserHistory& history, Encoder* e);
bool DecodeHistory(Decoder* d, UserHistory* history);

// A logged event (event_id, event, sequence number, price, recommendation
// id; records written before the last two decode with price -1 and no id).
void EncodeLoggedEvent(const LoggedEvent& e, Encoder* enc);
// False when truncated or the type is not an EventType.
bool DecodeLoggedEvent(Decoder* d, LoggedEvent* e);

// A customer's profile, scores and segments (without the user id).
void EncodeCustomerRecord(const CustomerRecord& record, Encoder* e);
// False when the input is truncated or names no RFM segment.
bool DecodeCustomerRecord(Decoder* d, CustomerRecord* record);

// An experiment's definition and state, after a format byte (2; records of
// format 1, without allocation, decode as fixed splits).
void EncodeExperiment(const Experiment& experiment, Encoder* e);
// False when the input is truncated, of another format, or names no
// state or eligibility.
bool DecodeExperiment(Decoder* d, Experiment* experiment);

// An exposure, after a format byte (1) and its timestamp (so that
// retention reads the time at a fixed place: bytes 1..8, little-endian).
void EncodeExposure(const Exposure& exposure, Encoder* e);
// False when the input is truncated or of another format.
bool DecodeExposure(Decoder* d, Exposure* exposure);

}  // namespace tailor

#endif  // TAILOR_STORAGE_RECORDS_H_
