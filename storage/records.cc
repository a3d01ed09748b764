#include "storage/records.h"

namespace tailor {

void EncodeItem(const Item& it, Encoder* e) {
  e->PutString(it.item_id);
  e->PutString(it.title);
  e->PutString(it.category);
  e->PutString(it.brand);
  e->PutString(it.color);
  e->PutF64(it.price);
  e->PutU32(static_cast<uint32_t>(it.sizes.size()));
  for (const auto& s : it.sizes) e->PutString(s);
  e->PutU8(it.in_stock ? 1 : 0);
}

bool DecodeItem(Decoder* d, Item* it) {
  uint32_t sizes;
  uint8_t in_stock;
  if (!d->GetString(&it->item_id) || !d->GetString(&it->title) ||
      !d->GetString(&it->category) || !d->GetString(&it->brand) ||
      !d->GetString(&it->color) || !d->GetF64(&it->price) ||
      !d->GetU32(&sizes) || !d->Has(sizes, 4)) {
    return false;
  }
  it->sizes.resize(sizes);
  for (auto& s : it->sizes) {
    if (!d->GetString(&s)) return false;
  }
  if (!d->GetU8(&in_stock)) return false;
  it->in_stock = in_stock != 0;
  return true;
}

void EncodeHistory(const std::vector<HistoryEntry>& history, Encoder* e) {
  e->PutU32(static_cast<uint32_t>(history.size()));
  for (const auto& h : history) {
    e->PutString(h.item_id);
    e->PutU8(h.flags);
  }
}

bool DecodeHistory(Decoder* d, std::vector<HistoryEntry>* history) {
  uint32_t n;
  if (!d->GetU32(&n) || !d->Has(n, 5)) return false;
  history->resize(n);
  for (auto& h : *history) {
    if (!d->GetString(&h.item_id) || !d->GetU8(&h.flags)) return false;
  }
  return true;
}

}  // namespace tailor
