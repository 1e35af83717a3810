#include "engine/host_bench_recommend.h"

#include <algorithm>
#include <cstdio>
#include <map>

namespace dbb::engine {

namespace {

std::string Rate(double mb_per_s) {
  char text[32];
  std::snprintf(text, sizeof text, "%.0f MB/s", mb_per_s);
  return text;
}

std::string Ratio(double ratio) {
  char text[16];
  std::snprintf(text, sizeof text, "%.2f", ratio);
  return text;
}

std::string CodecName(const compress::CodecOptions& codec) {
  return std::string(compress::EngineName(codec.engine)) + " " + std::to_string(codec.level);
}

bool SameCodec(const compress::CodecOptions& a, const compress::CodecOptions& b) {
  return a.engine == b.engine && a.level == b.level;
}

// The backup's own default -j, and the most threads it takes (app/pipeline_flags.cpp,
// CheckJobs: 256).
constexpr size_t kDefaultJobs = 2;
constexpr size_t kMaxCompressThreads = 256;

void RecommendJobs(const HostBenchResult& r, Recommendation* out) {
  const std::vector<CopyRow> rows = r.copy ? r.copy->rows : std::vector<CopyRow>{};
  if (rows.empty()) {
    out->jobs = kDefaultJobs;
    out->jobs_reason = std::string("the backup's default: COPY was not measured") +
                       (r.copy ? " (see the notes)" : " (give --dbname to measure it)");
    return;
  }
  const auto best = std::max_element(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return a.mb_per_s < b.mb_per_s;
  });
  const auto chosen = std::find_if(rows.begin(), rows.end(), [&](const CopyRow& row) {
    return row.mb_per_s >= (1 - kJobsTolerance) * best->mb_per_s;
  });
  out->jobs = chosen->connections;
  std::string rates;
  for (const CopyRow& row : rows) {
    rates +=
        (rates.empty() ? "" : ", ") + std::to_string(row.connections) + ": " + Rate(row.mb_per_s);
  }
  out->jobs_reason = chosen == best ? "the best COPY rate measured"
                                    : "within 10% of the best COPY rate, with fewer connections";
  out->jobs_reason += " (" + rates + ")";
  if (best == rows.end() - 1 && rows.size() > 1 &&
      best->mb_per_s > (1 + kJobsTolerance) * (best - 1)->mb_per_s) {
    out->jobs_reason += "; still rising at the most connections tried: raise --max-jobs";
  }
}

// The rate at which the disk takes a backup's files, and how it was written; 0 when unknown.
double DiskRate(const DiskBenchResult& disk, std::string* how) {
  double direct = 0, buffered = 0;
  for (const DiskRow& row : disk.rows) {
    if (row.mode == "buffered") buffered = row.mb_per_s;
    if (row.mode != "direct") continue;
    if (row.request_bytes == kWriterRequestBytes) {
      direct = row.mb_per_s;
      break;
    }
    direct = std::max(direct, row.mb_per_s);
  }
  *how = direct > 0 ? "O_DIRECT" : "buffered";
  return direct > 0 ? direct : buffered;
}

// Per setting, its 1 MiB-page row with the most threads up to `threads`.
std::vector<CompressionRow> CodecRows(const std::vector<CompressionRow>& rows, size_t threads) {
  std::vector<CompressionRow> best;
  for (const CompressionRow& row : rows) {
    if (row.cell.page_bytes != kMiB || row.cell.threads > threads) continue;
    auto same = std::find_if(best.begin(), best.end(), [&](const CompressionRow& b) {
      return SameCodec(b.cell.codec, row.cell.codec);
    });
    if (same == best.end()) {
      best.push_back(row);
    } else if (row.cell.threads > same->cell.threads) {
      *same = row;
    }
  }
  return best;
}

// The input rate a setting must reach, and why: the slower of COPY and the disk.
struct Input {
  double copy_mb_per_s = 0;
  double disk_mb_per_s = 0;
  std::string disk_how;

  bool known() const { return copy_mb_per_s > 0 || disk_mb_per_s > 0; }
  double Needed(const CompressionRow& row) const {
    const double disk_input = disk_mb_per_s > 0 ? disk_mb_per_s * row.ratio : 1e300;
    const double copy_input = copy_mb_per_s > 0 ? copy_mb_per_s : 1e300;
    return std::min(disk_input, copy_input);
  }
  std::string Describe() const {
    std::string text;
    if (copy_mb_per_s > 0) text = Rate(copy_mb_per_s) + " of COPY";
    if (disk_mb_per_s > 0) {
      text += (text.empty() ? "" : " and ") + std::string("the disk's ") + Rate(disk_mb_per_s) +
              " " + disk_how + " x the ratio";
    }
    return text;
  }
};

void RecommendCodec(const HostBenchResult& r, const Input& input, Recommendation* out) {
  const std::vector<CompressionRow> rows = CodecRows(r.compression, out->compress_threads);
  if (rows.empty()) {
    out->codec = {};
    out->codec_reason = "the default: compression was not measured";
    return;
  }
  const std::string threads = " on " + std::to_string(rows.front().cell.threads) + " threads";
  const auto fastest = std::max_element(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return a.mb_per_s < b.mb_per_s;
  });
  if (!input.known()) {
    const auto standard = std::find_if(rows.begin(), rows.end(), [](const CompressionRow& row) {
      return SameCodec(row.cell.codec, compress::CodecOptions{});
    });
    const CompressionRow& row = standard != rows.end() ? *standard : *fastest;
    out->codec = row.cell.codec;
    out->codec_reason = (standard != rows.end() ? "the default" : "the fastest") +
                        std::string(": neither the disk nor COPY was measured (") +
                        Rate(row.mb_per_s) + threads + ", ratio " + Ratio(row.ratio) + ")";
    return;
  }
  auto keeps_up = [&](const CompressionRow& row) {
    return row.mb_per_s >= kCompressHeadroom * input.Needed(row);
  };
  double best_ratio = 0;
  for (const CompressionRow& row : rows) {
    if (keeps_up(row)) best_ratio = std::max(best_ratio, row.ratio);
  }
  // Among those within 1% of the best ratio, the fastest.
  const CompressionRow* chosen = nullptr;
  for (const CompressionRow& row : rows) {
    if (!keeps_up(row) || row.ratio < (1 - kRatioTolerance) * best_ratio) continue;
    if (chosen == nullptr || row.mb_per_s > chosen->mb_per_s) chosen = &row;
  }
  if (chosen == nullptr) {
    out->codec = fastest->cell.codec;
    out->codec_reason = "the fastest (" + Rate(fastest->mb_per_s) + threads +
                        "): no setting keeps up with " + input.Describe() +
                        ", so compression will limit the backup";
    return;
  }
  out->codec = chosen->cell.codec;
  out->codec_reason =
      "the best ratio (" + Ratio(chosen->ratio) +
      ") among the settings that keep up, with 25% to spare, with the input: " + input.Describe() +
      " (" + CodecName(chosen->cell.codec) + ": " + Rate(chosen->mb_per_s) + threads + " for " +
      Rate(input.Needed(*chosen)) + " of input)";
}

void RecommendPage(const HostBenchResult& r, Recommendation* out) {
  std::map<size_t, const CompressionRow*> by_page;
  for (const CompressionRow& row : r.page_sizes) {
    if (SameCodec(row.cell.codec, out->codec)) by_page[row.cell.page_bytes] = &row;
  }
  if (by_page.size() < 2) {
    out->page_bytes = kMiB;
    out->page_reason = "the default: page sizes were not compared";
    return;
  }
  double best_rate = 0, best_ratio = 0;
  std::string rates;
  for (const auto& [page_bytes, row] : by_page) {
    best_rate = std::max(best_rate, row->mb_per_s);
    best_ratio = std::max(best_ratio, row->ratio);
    rates += (rates.empty() ? "" : ", ") + PageSizeFlag(page_bytes) + ": " + Rate(row->mb_per_s) +
             " " + Ratio(row->ratio);
  }
  // The smallest page within both tolerances; failing that, within the rate's alone.
  auto smallest = [&](double min_ratio) -> const CompressionRow* {
    for (const auto& [page_bytes, row] : by_page) {
      if (row->mb_per_s >= (1 - kPageRateTolerance) * best_rate && row->ratio >= min_ratio) {
        return row;
      }
    }
    return nullptr;
  };
  const CompressionRow* chosen = smallest((1 - kRatioTolerance) * best_ratio);
  const char* why = "the smallest page within 5% of the best rate and 1% of the best ratio";
  if (chosen == nullptr) {
    chosen = smallest(0);
    why =
        "the smallest page within 5% of the best rate (none was also within 1% of the best "
        "ratio)";
  }
  out->page_bytes = chosen->cell.page_bytes;
  out->page_reason = std::string(why) + " for " + CodecName(out->codec) + " (" + rates +
                     "); memory is pages x page size";
}

void RecommendThreads(const HostBenchResult& r, Recommendation* out) {
  out->compress_threads = std::min<size_t>(r.cpus, kMaxCompressThreads);
  out->threads_reason = "one per CPU (" + std::to_string(r.cpus) +
                        "): compression is the stage that needs CPU, and idle threads sleep";
  std::string scaling;
  for (const CompressionRow& row : r.compression) {
    if (row.cell.page_bytes == kMiB && SameCodec(row.cell.codec, compress::CodecOptions{})) {
      scaling += (scaling.empty() ? "" : ", ") + std::to_string(row.cell.threads) + ": " +
                 Rate(row.mb_per_s);
    }
  }
  if (!scaling.empty()) out->threads_reason += " (isal 1 with " + scaling + ")";
}

}  // namespace

std::string PageSizeFlag(size_t bytes) {
  if (bytes % kMiB == 0) return std::to_string(bytes / kMiB) + "MiB";
  if (bytes % kKiB == 0) return std::to_string(bytes / kKiB) + "KiB";
  return std::to_string(bytes);
}

std::string Recommendation::Flags() const {
  return "-j " + std::to_string(jobs) + " --compress-engine " + compress::EngineName(codec.engine) +
         " --compress-level " + std::to_string(codec.level) + " --compress-threads " +
         std::to_string(compress_threads) + " --page-size " + PageSizeFlag(page_bytes);
}

Recommendation Recommend(const HostBenchResult& result) {
  Recommendation out;
  RecommendJobs(result, &out);
  RecommendThreads(result, &out);
  Input input;
  input.disk_mb_per_s = DiskRate(result.disk, &input.disk_how);
  if (result.copy) {
    for (const CopyRow& row : result.copy->rows) {
      if (row.connections == out.jobs) input.copy_mb_per_s = row.mb_per_s;
    }
  }
  RecommendCodec(result, input, &out);
  RecommendPage(result, &out);
  return out;
}

}  // namespace dbb::engine
