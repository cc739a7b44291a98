#include <chatkit/openai/error.hpp>
#include <chatkit/openai/sse_parser.hpp>

#include <cstring>

namespace chatkit::openai {

namespace {
constexpr std::string_view bom = "\xEF\xBB\xBF";
}

void sse_parser::feed(std::string_view bytes) {
  compact();
  buf_.append(bytes.data(), bytes.size());
}

// Drops consumed bytes, but keeps the pending event's single data line, which is still referenced by
// offset. Only called from feed(), so views handed out by next() stay valid until then.
void sse_parser::compact() {
  std::size_t keep = pos_;
  if (data_lines_ == 1 && data_off_ < keep) keep = data_off_;
  if (keep == 0) return;
  if (keep == buf_.size()) {
    buf_.clear();
  } else {
    buf_.erase(0, keep);
  }
  pos_ -= keep;
  scan_ -= keep;
  if (data_lines_ == 1) data_off_ -= keep;
}

std::optional<sse_event> sse_parser::next(boost::system::error_code& ec) {
  ec.clear();
  if (!bom_checked_) {
    const std::string_view head(buf_.data() + pos_, buf_.size() - pos_);
    if (head.size() < bom.size() && bom.substr(0, head.size()) == head) return std::nullopt;  // undecided
    if (head.substr(0, bom.size()) == bom) {
      pos_ += bom.size();
      if (scan_ < pos_) scan_ = pos_;
    }
    bom_checked_ = true;
  }
  for (;;) {
    const char* base = buf_.data();
    const std::size_t size = buf_.size();
    if (skip_lf_ && pos_ < size) {
      if (base[pos_] == '\n') ++pos_;
      skip_lf_ = false;
      if (scan_ < pos_) scan_ = pos_;
    }
    if (pos_ >= size) return std::nullopt;
    // Find the first CR or LF from scan_: memchr for LF (vectorized), then for CR in the shorter range.
    const std::size_t avail = size - scan_;
    const void* lf = std::memchr(base + scan_, '\n', avail);
    const std::size_t lf_at = lf ? static_cast<std::size_t>(static_cast<const char*>(lf) - base) : size;
    const void* cr = std::memchr(base + scan_, '\r', lf_at - scan_);
    std::size_t end;
    bool ended_by_cr = false;
    if (cr != nullptr) {
      end = static_cast<std::size_t>(static_cast<const char*>(cr) - base);
      ended_by_cr = true;
    } else if (lf != nullptr) {
      end = lf_at;
    } else {
      scan_ = size;
      if (size - pos_ > max_event_size_) {
        ec = make_error_code(errc::stream_protocol_error);
        return std::nullopt;
      }
      return std::nullopt;
    }
    const std::string_view line(base + pos_, end - pos_);
    pos_ = end + 1;
    scan_ = pos_;
    if (ended_by_cr) skip_lf_ = true;
    if (process_line(line, ec)) {
      sse_event ev;
      ev.event = dispatched_event_name_;
      ev.data = data_lines_ == 1 ? std::string_view(buf_.data() + data_off_, data_len_) : std::string_view(data_buf_);
      ev.id = last_id_;
      data_lines_ = 0;  // the views stay valid: compaction only happens in feed()
      return ev;
    }
    if (ec) return std::nullopt;
  }
}

bool sse_parser::process_line(std::string_view line, boost::system::error_code& ec) {
  if (line.empty()) {
    if (data_lines_ == 0) {
      event_name_.clear();
      return false;
    }
    dispatched_event_name_.swap(event_name_);
    event_name_.clear();
    return true;
  }
  if (line.front() == ':') return false;  // comment / keep-alive
  std::string_view name = line;
  std::string_view value;
  if (auto colon = line.find(':'); colon != std::string_view::npos) {
    name = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (name == "data") {
    const std::size_t pending = data_lines_ == 0 ? 0 : (data_lines_ == 1 ? data_len_ : data_buf_.size());
    if (pending + value.size() + 1 > max_event_size_) {
      ec = make_error_code(errc::stream_protocol_error);
      return false;
    }
    if (data_lines_ == 0) {
      // A field without a colon ("data") has a default-constructed, null value view.
      data_off_ = value.empty() ? 0 : static_cast<std::size_t>(value.data() - buf_.data());
      data_len_ = value.size();
    } else {
      if (data_lines_ == 1) data_buf_.assign(buf_.data() + data_off_, data_len_);
      data_buf_.push_back('\n');
      data_buf_.append(value.data(), value.size());
    }
    ++data_lines_;
  } else if (name == "event") {
    event_name_.assign(value.data(), value.size());
  } else if (name == "id") {
    if (value.find('\0') == std::string_view::npos) last_id_.assign(value.data(), value.size());
  } else if (name == "retry") {
    bool digits = !value.empty() && value.size() <= 18;  // 18 digits cannot overflow 64 bits
    for (char c : value) digits = digits && c >= '0' && c <= '9';
    if (digits) {
      std::uint64_t ms = 0;
      for (char c : value) ms = ms * 10 + static_cast<std::uint64_t>(c - '0');
      retry_ = ms;
    }
  }
  return false;
}

bool sse_parser::finish() {
  boost::system::error_code ec;
  if (skip_lf_ && pos_ < buf_.size() && buf_[pos_] == '\n') ++pos_;
  skip_lf_ = false;
  bool discarded = false;
  if (pos_ < buf_.size()) {
    const std::string_view line(buf_.data() + pos_, buf_.size() - pos_);
    discarded = true;
    if (!line.empty()) (void)process_line(line, ec);  // may update id/retry; never dispatches
    pos_ = buf_.size();
  }
  if (data_lines_ != 0) discarded = true;
  data_lines_ = 0;
  data_buf_.clear();
  event_name_.clear();
  scan_ = pos_;
  return discarded;
}

}  // namespace chatkit::openai
