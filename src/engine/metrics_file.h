// --metrics-file PATH: the outcome of each database's last backup or restore, in the Prometheus
// text exposition format (version 0.0.4), for node_exporter's textfile collector
// (--collector.textfile.directory; it reads only files named *.prom, so PATH should end in .prom).
//
// Metric families (all gauges, every sample labelled command="backup"|"restore", database="..."):
//   dbbackup_last_success_timestamp_seconds  end of the last successful run (Unix time); kept from
//                                            the file when this run failed, absent until one
//                                            run succeeded
//   dbbackup_last_run_timestamp_seconds      end of the last run, successful or not (Unix time)
//   dbbackup_last_run_success                1 when the last run succeeded, 0 when it failed
//   dbbackup_last_run_duration_seconds       wall time of the last run
//   dbbackup_last_run_raw_bytes              data bytes (COPY streams, large objects)
//   dbbackup_last_run_stored_bytes           bytes of the backup's files
//   dbbackup_last_run_compression_ratio      raw / stored bytes; 0 when nothing was stored
//   dbbackup_last_run_peak_memory_bytes      peak resident set size of the process
//   dbbackup_last_run_cpu_seconds            user + system CPU time of the process
//   dbbackup_last_run_errors                 failures; for a successful run, the problems it
//                                            recovered from (retried connections)
//
// Alerting: "no successful backup of a database for a day" (a failed run keeps the previous
// success time, so this fires once the failures have lasted a day; alert on
// dbbackup_last_run_success == 0 for each failure):
//   time() - dbbackup_last_success_timestamp_seconds{command="backup"} > 86400
//
// One file may hold many runs: separate cron jobs for several databases, backups and restore
// tests. Each call replaces the samples of the (command, database) pairs it is given and keeps
// those of every other pair found in the existing file; samples of other families or with other
// labels, lines that do not parse and an unreadable or oversized old file are dropped with a
// warning (a broken old metrics file never fails the run). Samples are sorted by family name,
// then command, then database, so equal inputs give byte-identical files.
//
// Atomicity and concurrency: the new file is written as .NAME.tmp.XXXXXX (a name the collector
// ignores) in PATH's directory, mode 0644, fsynced, renamed over PATH, and the directory is
// fsynced: a reader sees the old file or the new one, never a part. Writers (processes or
// threads) serialize their read-modify-write with flock(2) on the directory: a lock file would be
// one more file to leave in the collector's directory, and the directory is there anyway. The
// lock is advisory, taken only by dbbackup, and held for milliseconds; the wait for it is bounded
// (options.lock_wait). Where flock is refused (NFS emulates it with fcntl locks, which need a
// descriptor open for writing) the file is written without the lock: still atomic, but two
// writers at the same moment may lose one's update until its next run. Temp files that a killed
// writer left behind (older than 10 minutes) are removed under the lock.
// PATH being a symbolic link is replaced by a regular file (rename semantics).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "engine/run_metrics.h"

namespace dbb::engine {

// One database's run of one command. (RunMetrics, run_metrics.h, is what any run measured; this
// adds what the file needs to label and judge it.)
struct DatabaseRunMetrics {
  std::string database;  // any bytes; invalid UTF-8 is written as U+FFFD (labels are UTF-8)
  bool success = false;
  double finished_unix_s = 0;  // wall clock, end of the run
  // Written as they are: duration_s, raw_bytes, stored_bytes, compression_ratio(),
  // peak_memory_bytes, cpu_user_s + cpu_system_s, errors. For a failed run the caller counts the
  // failure in `errors` (the field holds only problems recovered from).
  RunMetrics metrics;
};

struct MetricsFileOptions {
  // How long to wait for another writer's lock before failing (kIoError, naming the directory).
  std::chrono::milliseconds lock_wait{60'000};
};

// Writes `runs` of `command` ("backup" or "restore"; any non-empty name is only a label value)
// into the metrics file at `path`, merged with the file's other samples as described above. The
// runs apply in order, as if each were its own call (a later run of a database replaces an
// earlier one; a failed one keeps an earlier one's success time). Errors (kIoError, kNoSpace;
// kInvalidArgument for a path without a file name) name the path, the step and the fix, e.g.
//   --metrics-file /x/y.prom: open directory /x: No such file or directory (create the directory
//   first)
// On error no temp file is left, and PATH is unchanged unless only the directory's fsync after the
// rename failed. Thread-safe.
Status WriteMetricsFile(const std::string& path, std::string_view command,
                        const std::vector<DatabaseRunMetrics>& runs,
                        const MetricsFileOptions& options = {});

// The text WriteMetricsFile writes for `runs` merged into `existing` (the old file's text, "" for
// none): the pure part, without file system access. `dropped_lines` (optional) counts the
// non-comment lines of `existing` that were dropped as unparseable or not ours.
std::string RenderMetrics(std::string_view existing, std::string_view command,
                          const std::vector<DatabaseRunMetrics>& runs,
                          int* dropped_lines = nullptr);

}  // namespace dbb::engine
