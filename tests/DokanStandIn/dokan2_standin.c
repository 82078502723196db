/* A stand-in for dokan2.dll: exports the functions bucketmount's Dokan host calls, with the exact Dokan 2.x
 * structs (dokan2_abi.h), and instead of a kernel driver replays the call sequences Windows issues (Explorer copy,
 * Notepad and Office saves, del, rmdir, dir *.txt, renames, delete-on-close, share modes, case-insensitive names,
 * locks) into the host's operation table from several native threads, checking every NTST and byte.
 *
 * Built twice from this one source: gcc -shared -> libdokan2.so (Linux), mingw-w64 -> dokan2.dll (run under Wine).
 * Environment: DOKAN_STANDIN_REPORT=file  where to write the result lines ("standin: N checks, M failed" last);
 *              DOKAN_STANDIN_SCRIPT=none  stay mounted without replaying (until DokanCloseHandle);
 *              DOKAN_STANDIN_SCRIPT=write:NAME  create \NAME with one line unless it exists ("WROTE NAME" or
 *                                         "EXISTS NAME"), then stay mounted as with none (the installer's upgrade test);
 *              DOKAN_STANDIN_NO_DRIVER=1  report no driver (DokanDriverVersion() == 0);
 *              DOKAN_STANDIN_VERSION=N    what DokanVersion() reports (default 231; Dokan 2.0.0 says 200).
 * The lifecycle is checked as dokany's library would suffer it: DokanInit is reference-counted, DokanShutdown
 * with a mount still open closes it, and DokanCloseHandle frees the instance (waiting on it then, or during,
 * reads freed memory). Such misuse is reported as FAIL lines. */
#ifdef _WIN32
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
/* windows.h turns these into ...A/...W macros; here they are DOKAN_OPERATIONS members. */
#undef GetVolumeInformation
#undef GetDiskFreeSpace
#undef SetFileAttributes
#undef DeleteFile
#undef MoveFile
#undef GetFileSecurity
#undef SetFileSecurity
#endif
#include "dokan2_abi.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A thread runs thunk->fn(thunk->arg); the thunk must outlive the thread. */
typedef struct { void (*fn)(void *); void *arg; } thunk;
#ifdef _WIN32
typedef HANDLE thread_t;
static void sleep_ms(int ms) { Sleep(ms); }
static DWORD WINAPI thread_main(LPVOID t) { ((thunk *)t)->fn(((thunk *)t)->arg); return 0; }
static thread_t start_thread(thunk *t) { return CreateThread(NULL, 0, thread_main, t, 0, NULL); }
static void join_thread(thread_t t) { WaitForSingleObject(t, INFINITE); CloseHandle(t); }
#else
#include <pthread.h>
#include <time.h>
typedef pthread_t thread_t;
static void sleep_ms(int ms) { struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L}; nanosleep(&ts, NULL); }
static void *thread_main(void *t) { ((thunk *)t)->fn(((thunk *)t)->arg); return NULL; }
static thread_t start_thread(thunk *t) { pthread_t h; pthread_create(&h, NULL, thread_main, t); return h; }
static void join_thread(thread_t t) { pthread_join(t, NULL); }
#endif

/* ---- state of the one mount ---- */
static DOKAN_OPTIONS *g_options;
static DOKAN_OPERATIONS *g_ops;
static volatile int g_initialized, g_closed, g_replaying;
static thread_t g_replay;
static int g_checks, g_failures, g_resets;
static FILE *g_report;

static void report(const char *format, ...) {
  va_list args;
  va_start(args, format);
  char line[1024];
  vsnprintf(line, sizeof line, format, args);
  va_end(args);
  if (g_report) { fputs(line, g_report); fputc('\n', g_report); fflush(g_report); }
  fprintf(stderr, "%s\n", line);
}

static void count(int ok) {
  __atomic_add_fetch(&g_checks, 1, __ATOMIC_SEQ_CST);
  if (!ok) __atomic_add_fetch(&g_failures, 1, __ATOMIC_SEQ_CST);
}

#define EXPECT_STATUS(what, got, want) do { NTST g_ = (got), w_ = (want); count(g_ == w_); \
  if (g_ != w_) report("FAIL %s:%d %s: got 0x%08X, want 0x%08X", sc->name, __LINE__, what, (unsigned)g_, (unsigned)w_); } while (0)
#define EXPECT(what, cond) do { int c_ = (cond); count(c_); if (!c_) report("FAIL %s:%d %s", sc->name, __LINE__, what); } while (0)

/* ---- UTF-16 helpers (ASCII test names only) ---- */
typedef struct { WCH s[300]; } wstr;
static wstr W(const char *a) { wstr r; size_t i = 0; for (; a[i] && i < 299; i++) r.s[i] = (WCH)(unsigned char)a[i]; r.s[i] = 0; return r; }
static int weq(const WCH *w, const char *a) { size_t i = 0; for (; a[i]; i++) if (w[i] != (WCH)(unsigned char)a[i]) return 0; return w[i] == 0; }
static void narrow(const WCH *w, char *out, size_t size) { size_t i = 0; for (; w[i] && i + 1 < size; i++) out[i] = (char)w[i]; out[i] = 0; }

/* ---- one scenario's context: its own folder, its handles ---- */
typedef struct { const char *name; char root[32]; } scenario;
typedef struct { DOKAN_FILE_INFO fi; char path[300]; } handle;

static const char *P(const scenario *sc, const char *leaf, char *buffer) { snprintf(buffer, 300, "%s\\%s", sc->root, leaf); return buffer; }

static NTST open_(scenario *sc, handle *h, const char *leaf, ULONG32 access, ULONG32 attributes, ULONG32 share, ULONG32 disposition, ULONG32 options) {
  (void)sc;
  memset(&h->fi, 0, sizeof h->fi);
  h->fi.DokanOptions = g_options;
  h->fi.ProcessId = 4242;
  h->fi.IsDirectory = (options & FILE_DIRECTORY_FILE) ? 1 : 0;
  if (leaf[0] == '\\') snprintf(h->path, sizeof h->path, "%s", leaf); else P(sc, leaf, h->path);
  char security[72] = {0};
  return g_ops->ZwCreateFile(W(h->path).s, security, access, attributes, share, disposition, options, &h->fi);
}

static void cleanup_(handle *h, int deletePending) { h->fi.DeletePending = (uint8_t)deletePending; g_ops->Cleanup(W(h->path).s, &h->fi); }
static void close_(handle *h) { g_ops->CloseFile(W(h->path).s, &h->fi); }
static void done(handle *h) { cleanup_(h, 0); close_(h); }

static NTST write_(handle *h, const void *data, ULONG32 length, LONGLONG64 offset, ULONG32 *written) {
  return g_ops->WriteFile(W(h->path).s, data, length, written, offset, &h->fi);
}
static NTST read_(handle *h, void *data, ULONG32 length, LONGLONG64 offset, ULONG32 *read) {
  return g_ops->ReadFile(W(h->path).s, data, length, read, offset, &h->fi);
}
static uint64_t size_of(handle *h, NTST *status, ULONG32 *attributes) {
  BY_HANDLE_FILE_INFORMATION32 info;
  memset(&info, 0xCD, sizeof info);
  *status = g_ops->GetFileInformation(W(h->path).s, &info, &h->fi);
  if (attributes) *attributes = info.dwFileAttributes;
  return ((uint64_t)info.nFileSizeHigh << 32) | info.nFileSizeLow;
}

static unsigned char pattern_byte(uint64_t i, int seed) { return (unsigned char)((i * 131 + seed * 7 + (i >> 9)) & 0xFF); }

/* Creates leaf with the given bytes (FILE_CREATE), closes it. */
static void make_file(scenario *sc, const char *leaf, const void *data, ULONG32 length) {
  handle h; ULONG32 n = 0;
  EXPECT_STATUS(leaf, open_(sc, &h, leaf, FILE_GENERIC_WRITE, ATTR_NORMAL, 0, FILE_CREATE, FILE_NON_DIRECTORY_FILE), ST_SUCCESS);
  if (length) EXPECT_STATUS("write", write_(&h, data, length, 0, &n), ST_SUCCESS);
  EXPECT("all bytes written", n == length);
  done(&h);
}

/* Reads leaf whole and compares. */
static void expect_content(scenario *sc, const char *leaf, const void *data, ULONG32 length) {
  handle h; NTST status;
  EXPECT_STATUS(leaf, open_(sc, &h, leaf, FILE_GENERIC_READ, 0, FILE_SHARE_READ, FILE_OPEN, FILE_NON_DIRECTORY_FILE), ST_SUCCESS);
  uint64_t size = size_of(&h, &status, NULL);
  EXPECT_STATUS("GetFileInformation", status, ST_SUCCESS);
  EXPECT("size matches", size == length);
  unsigned char *buffer = malloc(length + 16);
  ULONG32 total = 0, n = 0;
  while (total < length + 16) {
    NTST s = read_(&h, buffer + total, 65536 < length + 16 - total ? 65536 : length + 16 - total, total, &n);
    if (s != ST_SUCCESS || n == 0) break;
    total += n;
  }
  EXPECT("read back length", total == length);
  EXPECT("read back bytes", total == length && memcmp(buffer, data, length) == 0);
  free(buffer);
  done(&h);
}

static void expect_missing(scenario *sc, const char *leaf) {
  handle h;
  EXPECT_STATUS(leaf, open_(sc, &h, leaf, FILE_READ_ATTRIBUTES, 0, 7, FILE_OPEN, 0), ST_OBJECT_NAME_NOT_FOUND);
}

/* ---- FindFiles collection ---- */
typedef struct { int count; char names[16][64]; } found;
static found *volatile g_found_slot[64];
static int fill(WIN32_FIND_DATAW32 *data, DOKAN_FILE_INFO *fi) {
  found *f = g_found_slot[fi->ProcessId % 64];
  if (f && f->count < 16) narrow(data->cFileName, f->names[f->count++], 64);
  return 0;
}
static int find(scenario *sc, handle *dir, const char *pattern, found *f, int slot) {
  memset(f, 0, sizeof *f);
  g_found_slot[slot] = f;
  dir->fi.ProcessId = (ULONG32)slot;
  EXPECT_STATUS("FindFilesWithPattern", g_ops->FindFilesWithPattern(W(dir->path).s, W(pattern).s, fill, &dir->fi), ST_SUCCESS);
  g_found_slot[slot] = NULL;
  return f->count;
}
static int has(found *f, const char *name) { for (int i = 0; i < f->count; i++) if (!strcmp(f->names[i], name)) return 1; return 0; }

/* ---- the scenarios (each in its own folder \sN, several at once) ---- */
static void mkdir_(scenario *sc, const char *leaf) {
  handle h;
  EXPECT_STATUS(leaf, open_(sc, &h, leaf, FILE_GENERIC_READ, ATTR_NORMAL, 3, FILE_CREATE, FILE_DIRECTORY_FILE), ST_SUCCESS);
  EXPECT("new directory reported as one", h.fi.IsDirectory == 1);
  done(&h);
}

static void explorer_copy(scenario *sc) {
  handle probe, root, h;
  const ULONG32 size = 3 * 1048576 + 12345;
  unsigned char *data = malloc(size);
  for (ULONG32 i = 0; i < size; i++) data[i] = pattern_byte(i, 1);
  EXPECT_STATUS("probe", open_(sc, &probe, "copy.bin", FILE_READ_ATTRIBUTES, 0, 7, FILE_OPEN, 0), ST_OBJECT_NAME_NOT_FOUND);
  EXPECT_STATUS("open root", open_(sc, &root, "\\", FILE_LIST_DIRECTORY | SYNCHRONIZE_ACCESS, 0, 3, FILE_OPEN, FILE_DIRECTORY_FILE), ST_SUCCESS);
  WCH label[260], fsname[260]; ULONG32 serial = 0, maxlen = 0, flags = 0;
  EXPECT_STATUS("GetVolumeInformation", g_ops->GetVolumeInformation(label, 260, &serial, &maxlen, &flags, fsname, 260, &root.fi), ST_SUCCESS);
  EXPECT("file system name NTFS", weq(fsname, "NTFS"));
  EXPECT("case-preserving, Unicode", (flags & 0x2) && (flags & 0x4));
  EXPECT("max component 255", maxlen == 255);
  uint64_t avail = 0, total = 0, free_ = 0;
  EXPECT_STATUS("GetDiskFreeSpace", g_ops->GetDiskFreeSpace(&avail, &total, &free_, &root.fi), ST_SUCCESS);
  EXPECT("disk sizes", total > 0 && avail <= total);
  done(&root);

  EXPECT_STATUS("create", open_(sc, &h, "copy.bin", FILE_GENERIC_WRITE | DELETE_ACCESS, ATTR_ARCHIVE, 0, FILE_CREATE,
                                FILE_NON_DIRECTORY_FILE | FILE_SEQUENTIAL_ONLY | FILE_SYNCHRONOUS_IO_NONALERT), ST_SUCCESS);
  EXPECT_STATUS("SetEndOfFile", g_ops->SetEndOfFile(W(h.path).s, size, &h.fi), ST_SUCCESS);
  EXPECT_STATUS("SetAllocationSize", g_ops->SetAllocationSize(W(h.path).s, size, &h.fi), ST_SUCCESS);
  for (ULONG32 offset = 0; offset < size; offset += 65536) {
    ULONG32 n = 0, chunk = size - offset < 65536 ? size - offset : 65536;
    EXPECT_STATUS("write chunk", write_(&h, data + offset, chunk, offset, &n), ST_SUCCESS);
    EXPECT("chunk written", n == chunk);
  }
  const uint64_t created = 130000000000000000ULL, written = 131000000000000000ULL; /* 2012 and 2016 */
  FILETIME32 c = {(ULONG32)created, (ULONG32)(created >> 32)}, w = {(ULONG32)written, (ULONG32)(written >> 32)};
  EXPECT_STATUS("SetFileAttributes", g_ops->SetFileAttributes(W(h.path).s, ATTR_ARCHIVE, &h.fi), ST_SUCCESS);
  EXPECT_STATUS("SetFileTime", g_ops->SetFileTime(W(h.path).s, &c, NULL, &w, &h.fi), ST_SUCCESS);
  cleanup_(&h, 0);
  /* The cache manager's paging write after Cleanup: inside the file, never extending it. */
  h.fi.PagingIo = 1;
  ULONG32 n = 0;
  EXPECT_STATUS("paging write", write_(&h, data + 4096, 4096, 4096, &n), ST_SUCCESS);
  EXPECT_STATUS("paging write past EOF", write_(&h, data, 4096, size, &n), ST_SUCCESS);
  EXPECT("paging write past EOF writes nothing", n == 0);
  close_(&h);

  expect_content(sc, "copy.bin", data, size);
  handle check; NTST status;
  EXPECT_STATUS("reopen", open_(sc, &check, "copy.bin", FILE_READ_ATTRIBUTES, 0, 7, FILE_OPEN, 0), ST_SUCCESS);
  BY_HANDLE_FILE_INFORMATION32 info;
  EXPECT_STATUS("GetFileInformation", g_ops->GetFileInformation(W(check.path).s, &info, &check.fi), ST_SUCCESS);
  uint64_t gotWritten = ((uint64_t)info.ftLastWriteTime.High << 32) | info.ftLastWriteTime.Low;
  uint64_t gotCreated = ((uint64_t)info.ftCreationTime.High << 32) | info.ftCreationTime.Low;
  EXPECT("last-write time kept (paging write after it did not move it)", gotWritten == written);
  EXPECT("creation time kept", gotCreated == created);
  EXPECT("archive attribute", (info.dwFileAttributes & ATTR_ARCHIVE) != 0);
  EXPECT("one link", info.nNumberOfLinks == 1);
  (void)size_of(&check, &status, NULL);
  done(&check);
  free(data);
}

static void notepad_save(scenario *sc) {
  handle h; ULONG32 n = 0;
  make_file(sc, "note.txt", "the old and longer content", 26);
  EXPECT_STATUS("overwrite-if an existing file", open_(sc, &h, "note.txt", FILE_GENERIC_WRITE, ATTR_NORMAL, FILE_SHARE_READ, FILE_OVERWRITE_IF, FILE_NON_DIRECTORY_FILE), ST_OBJECT_NAME_COLLISION);
  EXPECT_STATUS("write", write_(&h, "new text", 8, 0, &n), ST_SUCCESS);
  EXPECT_STATUS("SetEndOfFile", g_ops->SetEndOfFile(W(h.path).s, 8, &h.fi), ST_SUCCESS);
  done(&h);
  expect_content(sc, "note.txt", "new text", 8);
  EXPECT_STATUS("open-if a new file", open_(sc, &h, "fresh.txt", FILE_GENERIC_WRITE, ATTR_NORMAL, 0, FILE_OPEN_IF, FILE_NON_DIRECTORY_FILE), ST_SUCCESS);
  done(&h);
  EXPECT_STATUS("open-if it again", open_(sc, &h, "fresh.txt", FILE_GENERIC_WRITE, ATTR_NORMAL, 0, FILE_OPEN_IF, FILE_NON_DIRECTORY_FILE), ST_OBJECT_NAME_COLLISION);
  done(&h);
  EXPECT_STATUS("supersede", open_(sc, &h, "fresh.txt", FILE_GENERIC_WRITE, ATTR_NORMAL, 0, FILE_SUPERSEDE, FILE_NON_DIRECTORY_FILE), ST_OBJECT_NAME_COLLISION);
  done(&h);
  EXPECT_STATUS("overwrite a missing file", open_(sc, &h, "none.txt", FILE_GENERIC_WRITE, 0, 0, FILE_OVERWRITE, FILE_NON_DIRECTORY_FILE), ST_OBJECT_NAME_NOT_FOUND);
  EXPECT_STATUS("create in a missing folder", open_(sc, &h, "nofolder\\x.txt", FILE_GENERIC_WRITE, 0, 0, FILE_CREATE, FILE_NON_DIRECTORY_FILE), ST_OBJECT_PATH_NOT_FOUND);
}

static void office_save(scenario *sc) {
  handle h, probe, parent; ULONG32 n = 0;
  const char *oldDoc = "PK-old-document-bytes";
  unsigned char fresh[5000];
  for (int i = 0; i < 5000; i++) fresh[i] = pattern_byte(i, 3);
  make_file(sc, "Doc.docx", oldDoc, (ULONG32)strlen(oldDoc));
  make_file(sc, "~$Doc.docx", "owner", 5);

  EXPECT_STATUS("create temp", open_(sc, &h, "~WRLa.tmp", FILE_GENERIC_WRITE | FILE_GENERIC_READ | DELETE_ACCESS, ATTR_NORMAL, 0, FILE_CREATE, FILE_NON_DIRECTORY_FILE), ST_SUCCESS);
  EXPECT_STATUS("SetEndOfFile up", g_ops->SetEndOfFile(W(h.path).s, 8192, &h.fi), ST_SUCCESS);
  EXPECT_STATUS("SetAllocationSize up", g_ops->SetAllocationSize(W(h.path).s, 8192, &h.fi), ST_SUCCESS);
  EXPECT_STATUS("write", write_(&h, fresh, 5000, 0, &n), ST_SUCCESS);
  EXPECT_STATUS("SetEndOfFile down", g_ops->SetEndOfFile(W(h.path).s, 5000, &h.fi), ST_SUCCESS);
  EXPECT_STATUS("SetAllocationSize down", g_ops->SetAllocationSize(W(h.path).s, 5000, &h.fi), ST_SUCCESS);
  EXPECT_STATUS("FlushFileBuffers", g_ops->FlushFileBuffers(W(h.path).s, &h.fi), ST_SUCCESS);
  done(&h);

  EXPECT_STATUS("open document for rename", open_(sc, &h, "Doc.docx", DELETE_ACCESS | SYNCHRONIZE_ACCESS, 0, 7, FILE_OPEN, FILE_NON_DIRECTORY_FILE), ST_SUCCESS);
  EXPECT_STATUS("target probe", open_(sc, &probe, "~WRLb.tmp", FILE_READ_ATTRIBUTES, 0, 7, FILE_OPEN, 0), ST_OBJECT_NAME_NOT_FOUND);
  EXPECT_STATUS("parent open", open_(sc, &parent, "\\", FILE_LIST_DIRECTORY, 0, 7, FILE_OPEN, FILE_DIRECTORY_FILE), ST_SUCCESS);
  char target[300];
  EXPECT_STATUS("rename document aside", g_ops->MoveFile(W(h.path).s, W(P(sc, "~WRLb.tmp", target)).s, 0, &h.fi), ST_SUCCESS);
  done(&parent);
  done(&h);

  EXPECT_STATUS("open temp for rename", open_(sc, &h, "~WRLa.tmp", DELETE_ACCESS | SYNCHRONIZE_ACCESS, 0, 7, FILE_OPEN, FILE_NON_DIRECTORY_FILE), ST_SUCCESS);
  EXPECT_STATUS("rename temp in", g_ops->MoveFile(W(h.path).s, W(P(sc, "Doc.docx", target)).s, 1, &h.fi), ST_SUCCESS);
  done(&h);

  EXPECT_STATUS("open old for delete", open_(sc, &h, "~WRLb.tmp", DELETE_ACCESS | SYNCHRONIZE_ACCESS, 0, 7, FILE_OPEN, FILE_NON_DIRECTORY_FILE), ST_SUCCESS);
  h.fi.DeletePending = 1;
  EXPECT_STATUS("DeleteFile", g_ops->DeleteFile(W(h.path).s, &h.fi), ST_SUCCESS);
  cleanup_(&h, 1);
  close_(&h);

  expect_content(sc, "Doc.docx", fresh, 5000);
  expect_missing(sc, "~WRLa.tmp");
  expect_missing(sc, "~WRLb.tmp");
}

static void del_file(scenario *sc) {
  handle root, h, again;
  found f;
  make_file(sc, "f.txt", "delete me", 9);
  EXPECT_STATUS("open folder", open_(sc, &root, "", FILE_LIST_DIRECTORY | SYNCHRONIZE_ACCESS, 0, 7, FILE_OPEN, FILE_DIRECTORY_FILE), ST_SUCCESS);
  root.path[strlen(root.path) - 1] = 0; /* "\sN\" -> "\sN" */
  EXPECT("dir finds f.txt", find(sc, &root, "f.txt", &f, 10 + sc->root[2] - '0') == 1 && has(&f, "f.txt"));
  done(&root);
  EXPECT_STATUS("open for delete", open_(sc, &h, "f.txt", DELETE_ACCESS | FILE_READ_ATTRIBUTES | SYNCHRONIZE_ACCESS, 0, 7, FILE_OPEN, FILE_NON_DIRECTORY_FILE | FILE_OPEN_REPARSE_POINT), ST_SUCCESS);
  h.fi.DeletePending = 1;
  EXPECT_STATUS("DeleteFile", g_ops->DeleteFile(W(h.path).s, &h.fi), ST_SUCCESS);
  /* The driver refuses the delete the file system agreed to (STATUS_CANNOT_DELETE: an .exe on the drive is
   * running, its image section maps the file), so the last Cleanup comes without DeletePending: the file stays. */
  cleanup_(&h, 0);
  close_(&h);
  expect_content(sc, "f.txt", "delete me", 9);
  EXPECT_STATUS("open for delete again", open_(sc, &again, "f.txt", DELETE_ACCESS | SYNCHRONIZE_ACCESS, 0, 7, FILE_OPEN, FILE_NON_DIRECTORY_FILE), ST_SUCCESS);
  again.fi.DeletePending = 1;
  EXPECT_STATUS("DeleteFile again", g_ops->DeleteFile(W(again.path).s, &again.fi), ST_SUCCESS);
  cleanup_(&again, 1);
  close_(&again);
  expect_missing(sc, "f.txt");
}

static void rmdir_nonempty(scenario *sc) {
  handle h;
  mkdir_(sc, "d");
  make_file(sc, "d\\x.txt", "x", 1);
  EXPECT_STATUS("open dir for delete", open_(sc, &h, "d", DELETE_ACCESS | SYNCHRONIZE_ACCESS, 0, 7, FILE_OPEN, FILE_DIRECTORY_FILE | FILE_OPEN_FOR_BACKUP_INTENT), ST_SUCCESS);
  EXPECT("opened as a directory", h.fi.IsDirectory == 1);
  h.fi.DeletePending = 1;
  EXPECT_STATUS("DeleteDirectory of a non-empty one", g_ops->DeleteDirectory(W(h.path).s, &h.fi), ST_DIRECTORY_NOT_EMPTY);
  done(&h);
  EXPECT_STATUS("file as directory", open_(sc, &h, "d\\x.txt", FILE_GENERIC_READ, 0, 7, FILE_OPEN, FILE_DIRECTORY_FILE), ST_NOT_A_DIRECTORY);
  EXPECT_STATUS("directory as file", open_(sc, &h, "d", FILE_GENERIC_READ, 0, 7, FILE_OPEN, FILE_NON_DIRECTORY_FILE), ST_FILE_IS_A_DIRECTORY);
  EXPECT_STATUS("delete-on-close of a non-empty directory", open_(sc, &h, "d", DELETE_ACCESS, 0, 7, FILE_OPEN, FILE_DIRECTORY_FILE | FILE_DELETE_ON_CLOSE), ST_DIRECTORY_NOT_EMPTY);
  expect_content(sc, "d\\x.txt", "x", 1);

  EXPECT_STATUS("open file for delete", open_(sc, &h, "d\\x.txt", DELETE_ACCESS, 0, 7, FILE_OPEN, FILE_NON_DIRECTORY_FILE), ST_SUCCESS);
  h.fi.DeletePending = 1;
  EXPECT_STATUS("DeleteFile", g_ops->DeleteFile(W(h.path).s, &h.fi), ST_SUCCESS);
  cleanup_(&h, 1); close_(&h);
  EXPECT_STATUS("open empty dir for delete", open_(sc, &h, "d", DELETE_ACCESS | SYNCHRONIZE_ACCESS, 0, 7, FILE_OPEN, FILE_DIRECTORY_FILE), ST_SUCCESS);
  h.fi.DeletePending = 1;
  EXPECT_STATUS("DeleteDirectory", g_ops->DeleteDirectory(W(h.path).s, &h.fi), ST_SUCCESS);
  cleanup_(&h, 1); close_(&h);
  expect_missing(sc, "d");
}

static void dir_pattern(scenario *sc) {
  handle dir;
  found f;
  make_file(sc, "a.txt", "a", 1);
  make_file(sc, "b.TXT", "b", 1);
  make_file(sc, "c.doc", "c", 1);
  make_file(sc, "notes.txt.bak", "n", 1);
  mkdir_(sc, "sub");
  EXPECT_STATUS("open folder", open_(sc, &dir, "", FILE_LIST_DIRECTORY | SYNCHRONIZE_ACCESS, 0, 7, FILE_OPEN, FILE_DIRECTORY_FILE), ST_SUCCESS);
  dir.path[strlen(dir.path) - 1] = 0;
  int slot = 20 + sc->root[2] - '0';
  EXPECT("<.txt finds a.txt and b.TXT only", find(sc, &dir, "<.txt", &f, slot) == 2 && has(&f, "a.txt") && has(&f, "b.TXT"));
  EXPECT("*.txt finds a.txt and b.TXT only", find(sc, &dir, "*.txt", &f, slot) == 2);
  EXPECT("* finds all five", find(sc, &dir, "*", &f, slot) == 5 && has(&f, "sub"));
  EXPECT("?.doc finds c.doc", find(sc, &dir, "?.doc", &f, slot) == 1 && has(&f, "c.doc"));
  EXPECT("no match is no entry", find(sc, &dir, "*.xls", &f, slot) == 0);
  done(&dir);
}

static void rename_over(scenario *sc) {
  handle h, other; char target[300];
  make_file(sc, "x.txt", "XXXX", 4);
  make_file(sc, "y.txt", "YY", 2);
  EXPECT_STATUS("open x", open_(sc, &h, "x.txt", DELETE_ACCESS | SYNCHRONIZE_ACCESS, 0, 7, FILE_OPEN, FILE_NON_DIRECTORY_FILE), ST_SUCCESS);
  EXPECT_STATUS("rename without replace", g_ops->MoveFile(W(h.path).s, W(P(sc, "y.txt", target)).s, 0, &h.fi), ST_OBJECT_NAME_COLLISION);
  EXPECT_STATUS("open y elsewhere", open_(sc, &other, "y.txt", FILE_GENERIC_READ, 0, 7, FILE_OPEN, 0), ST_SUCCESS);
  EXPECT_STATUS("replace a file open elsewhere", g_ops->MoveFile(W(h.path).s, W(P(sc, "y.txt", target)).s, 1, &h.fi), ST_ACCESS_DENIED);
  done(&other);
  EXPECT_STATUS("rename with replace", g_ops->MoveFile(W(h.path).s, W(P(sc, "y.txt", target)).s, 1, &h.fi), ST_SUCCESS);
  done(&h);
  expect_content(sc, "y.txt", "XXXX", 4);
  expect_missing(sc, "x.txt");
  mkdir_(sc, "folder");
  make_file(sc, "folder\\in.txt", "inside", 6);
  EXPECT_STATUS("open folder", open_(sc, &h, "folder", DELETE_ACCESS | SYNCHRONIZE_ACCESS, 0, 7, FILE_OPEN, FILE_DIRECTORY_FILE), ST_SUCCESS);
  EXPECT_STATUS("rename folder", g_ops->MoveFile(W(h.path).s, W(P(sc, "moved", target)).s, 0, &h.fi), ST_SUCCESS);
  done(&h);
  expect_content(sc, "moved\\in.txt", "inside", 6);
  expect_missing(sc, "folder");
  EXPECT_STATUS("open y", open_(sc, &h, "y.txt", DELETE_ACCESS, 0, 7, FILE_OPEN, 0), ST_SUCCESS);
  EXPECT_STATUS("replace a directory", g_ops->MoveFile(W(h.path).s, W(P(sc, "moved", target)).s, 1, &h.fi), ST_ACCESS_DENIED);
  EXPECT_STATUS("case-only rename", g_ops->MoveFile(W(h.path).s, W(P(sc, "Y.TXT", target)).s, 0, &h.fi), ST_SUCCESS);
  done(&h);
  handle dir; found f;
  EXPECT_STATUS("open folder", open_(sc, &dir, "", FILE_LIST_DIRECTORY, 0, 7, FILE_OPEN, FILE_DIRECTORY_FILE), ST_SUCCESS);
  dir.path[strlen(dir.path) - 1] = 0;
  int slot = 30 + sc->root[2] - '0';
  EXPECT("new spelling listed, old gone", find(sc, &dir, "*", &f, slot) == 2 && has(&f, "Y.TXT") && !has(&f, "y.txt"));
  done(&dir);
}

static void delete_on_close(scenario *sc) {
  handle h; ULONG32 n;
  EXPECT_STATUS("create delete-on-close", open_(sc, &h, "t.tmp", FILE_GENERIC_WRITE | DELETE_ACCESS, ATTR_NORMAL, 0, FILE_CREATE, FILE_NON_DIRECTORY_FILE | FILE_DELETE_ON_CLOSE), ST_SUCCESS);
  EXPECT_STATUS("write", write_(&h, "temp", 4, 0, &n), ST_SUCCESS);
  cleanup_(&h, 1); /* the driver sets DeletePending in the last handle's Cleanup */
  close_(&h);
  expect_missing(sc, "t.tmp");
  make_file(sc, "ro.txt", "keep", 4);
  EXPECT_STATUS("open", open_(sc, &h, "ro.txt", FILE_READ_ATTRIBUTES | 0x100 /* WRITE_ATTRIBUTES */, 0, 7, FILE_OPEN, 0), ST_SUCCESS);
  EXPECT_STATUS("make read-only", g_ops->SetFileAttributes(W(h.path).s, ATTR_READONLY | ATTR_HIDDEN, &h.fi), ST_SUCCESS);
  done(&h);
  EXPECT_STATUS("delete-on-close of a read-only file", open_(sc, &h, "ro.txt", DELETE_ACCESS, 0, 7, FILE_OPEN, FILE_DELETE_ON_CLOSE), ST_CANNOT_DELETE);
  EXPECT_STATUS("write to a read-only file", open_(sc, &h, "ro.txt", FILE_GENERIC_WRITE, 0, 7, FILE_OPEN, 0), ST_ACCESS_DENIED);
  EXPECT_STATUS("open read-only file for delete", open_(sc, &h, "ro.txt", DELETE_ACCESS | FILE_READ_ATTRIBUTES, 0, 7, FILE_OPEN, 0), ST_SUCCESS);
  NTST status; ULONG32 attributes = 0;
  (void)size_of(&h, &status, &attributes);
  EXPECT("read-only and hidden shown", (attributes & ATTR_READONLY) && (attributes & ATTR_HIDDEN));
  h.fi.DeletePending = 1;
  EXPECT_STATUS("DeleteFile of a read-only file", g_ops->DeleteFile(W(h.path).s, &h.fi), ST_CANNOT_DELETE);
  EXPECT_STATUS("clear read-only", g_ops->SetFileAttributes(W(h.path).s, ATTR_NORMAL, &h.fi), ST_SUCCESS);
  done(&h);
  EXPECT_STATUS("write after clearing", open_(sc, &h, "ro.txt", FILE_GENERIC_WRITE, 0, 7, FILE_OPEN, 0), ST_SUCCESS);
  done(&h);
}

static void share_modes(scenario *sc) {
  handle a, b, c;
  make_file(sc, "s.txt", "shared", 6);
  EXPECT_STATUS("reader sharing read only", open_(sc, &a, "s.txt", FILE_GENERIC_READ, 0, FILE_SHARE_READ, FILE_OPEN, 0), ST_SUCCESS);
  EXPECT_STATUS("writer while shared for read only", open_(sc, &b, "s.txt", FILE_GENERIC_WRITE, 0, 7, FILE_OPEN, 0), ST_SHARING_VIOLATION);
  EXPECT_STATUS("second reader", open_(sc, &c, "s.txt", FILE_GENERIC_READ, 0, FILE_SHARE_READ, FILE_OPEN, 0), ST_SUCCESS);
  EXPECT_STATUS("delete while not shared for delete", open_(sc, &b, "s.txt", DELETE_ACCESS, 0, 7, FILE_OPEN, 0), ST_SHARING_VIOLATION);
  EXPECT_STATUS("attributes-only open does not conflict", open_(sc, &b, "s.txt", FILE_READ_ATTRIBUTES, 0, 0, FILE_OPEN, 0), ST_SUCCESS);
  done(&b);
  done(&c);
  done(&a);
  EXPECT_STATUS("writer after all closed", open_(sc, &b, "s.txt", FILE_GENERIC_WRITE, 0, 0, FILE_OPEN, 0), ST_SUCCESS);
  EXPECT_STATUS("reader while an exclusive writer is open", open_(sc, &a, "s.txt", FILE_GENERIC_READ, 0, 7, FILE_OPEN, 0), ST_SHARING_VIOLATION);
  done(&b);
}

static void case_insensitive(scenario *sc) {
  handle h, dir; found f; ULONG32 n = 0; char buffer[16] = {0};
  make_file(sc, "readme.txt", "hello", 5);
  EXPECT_STATUS("open README.TXT", open_(sc, &h, "README.TXT", FILE_GENERIC_READ, 0, 7, FILE_OPEN, 0), ST_SUCCESS);
  EXPECT_STATUS("read", read_(&h, buffer, 16, 0, &n), ST_SUCCESS);
  EXPECT("reads readme.txt", n == 5 && !memcmp(buffer, "hello", 5));
  done(&h);
  EXPECT_STATUS("create README.TXT", open_(sc, &h, "README.TXT", FILE_GENERIC_WRITE, 0, 0, FILE_CREATE, 0), ST_OBJECT_NAME_COLLISION);
  EXPECT_STATUS("open folder", open_(sc, &dir, "", FILE_LIST_DIRECTORY, 0, 7, FILE_OPEN, FILE_DIRECTORY_FILE), ST_SUCCESS);
  dir.path[strlen(dir.path) - 1] = 0;
  EXPECT("listing keeps the stored spelling", find(sc, &dir, "*", &f, 40 + sc->root[2] - '0') == 1 && has(&f, "readme.txt"));
  done(&dir);
}

/* Several native threads writing disjoint chunks through one handle, out of order; then reading them back. */
typedef struct { handle *h; unsigned char *data; int part, parts; ULONG32 size; int failures; } writer_job;
static void run_writer(void *arg) {
  writer_job *job = (writer_job *)arg;
  for (ULONG32 offset = (ULONG32)job->part * 32768; offset < job->size; offset += (ULONG32)job->parts * 32768) {
    ULONG32 n = 0, chunk = job->size - offset < 32768 ? job->size - offset : 32768;
    if (write_(job->h, job->data + offset, chunk, offset, &n) != ST_SUCCESS || n != chunk) job->failures++;
  }
}

static void locks_and_parallel_writes(scenario *sc) {
  handle a, b; ULONG32 n = 0;
  make_file(sc, "l.bin", "0123456789012345678901234567890123456789", 40);
  EXPECT_STATUS("open a", open_(sc, &a, "l.bin", FILE_GENERIC_READ | FILE_GENERIC_WRITE, 0, 7, FILE_OPEN, 0), ST_SUCCESS);
  EXPECT_STATUS("open b", open_(sc, &b, "l.bin", FILE_GENERIC_READ | FILE_GENERIC_WRITE, 0, 7, FILE_OPEN, 0), ST_SUCCESS);
  EXPECT_STATUS("lock 0-20 by a", g_ops->LockFile(W(a.path).s, 0, 20, &a.fi), ST_SUCCESS);
  EXPECT_STATUS("lock 10-15 by b", g_ops->LockFile(W(b.path).s, 10, 5, &b.fi), ST_LOCK_NOT_GRANTED);
  EXPECT_STATUS("write in a's range by b", write_(&b, "zz", 2, 12, &n), ST_FILE_LOCK_CONFLICT);
  EXPECT_STATUS("write outside it by b", write_(&b, "zz", 2, 30, &n), ST_SUCCESS);
  EXPECT_STATUS("unlock what b does not hold", g_ops->UnlockFile(W(b.path).s, 0, 20, &b.fi), ST_RANGE_NOT_LOCKED);
  EXPECT_STATUS("unlock by a", g_ops->UnlockFile(W(a.path).s, 0, 20, &a.fi), ST_SUCCESS);
  EXPECT_STATUS("write by b now", write_(&b, "zz", 2, 12, &n), ST_SUCCESS);
  done(&b);
  done(&a);

  const ULONG32 size = 2 * 1048576 + 777;
  unsigned char *data = malloc(size);
  for (ULONG32 i = 0; i < size; i++) data[i] = pattern_byte(i, 9);
  handle h;
  EXPECT_STATUS("create", open_(sc, &h, "parallel.bin", FILE_GENERIC_WRITE | FILE_GENERIC_READ, 0, 0, FILE_CREATE, 0), ST_SUCCESS);
  writer_job jobs[4];
  thunk thunks[4];
  thread_t threads[4];
  for (int i = 0; i < 4; i++) {
    jobs[i] = (writer_job){&h, data, 3 - i, 4, size, 0};
    thunks[i] = (thunk){run_writer, &jobs[i]};
    threads[i] = start_thread(&thunks[i]);
  }
  int failures = 0;
  for (int i = 0; i < 4; i++) { join_thread(threads[i]); failures += jobs[i].failures; }
  EXPECT("4 threads wrote every chunk", failures == 0);
  done(&h);
  expect_content(sc, "parallel.bin", data, size);
  free(data);
}

/* ---- the replay: all scenarios at once, one native thread each ---- */
typedef struct { void (*run)(scenario *); scenario sc; } job;
static void run_job(void *arg) {
  job *j = (job *)arg;
  mkdir_(&j->sc, "");
  j->run(&j->sc);
}

static void replay(void) {
  static job jobs[] = {
    {explorer_copy, {"explorer-copy", "\\s1"} }, {notepad_save, {"notepad-save", "\\s2"} },
    {office_save, {"office-save", "\\s3"} },     {del_file, {"del", "\\s4"} },
    {rmdir_nonempty, {"rmdir", "\\s5"} },        {dir_pattern, {"dir-pattern", "\\s6"} },
    {rename_over, {"rename", "\\s7"} },          {delete_on_close, {"delete-on-close", "\\s8"} },
    {share_modes, {"share-modes", "\\s9"} },
  };
  static job more[] = {
    {case_insensitive, {"case", "\\sA"} }, {locks_and_parallel_writes, {"locks-parallel", "\\sB"} },
  };
  const int count_ = sizeof jobs / sizeof jobs[0], more_count = sizeof more / sizeof more[0];
  thread_t threads[16];
  static thunk thunks[16];
  for (int i = 0; i < count_; i++) { thunks[i] = (thunk){run_job, &jobs[i]}; threads[i] = start_thread(&thunks[i]); }
  for (int i = 0; i < more_count; i++) { thunks[count_ + i] = (thunk){run_job, &more[i]}; threads[count_ + i] = start_thread(&thunks[count_ + i]); }
  for (int i = 0; i < count_ + more_count; i++) join_thread(threads[i]);
  for (int i = 0; i < count_; i++) report("RAN %s", jobs[i].sc.name);
  for (int i = 0; i < more_count; i++) report("RAN %s", more[i].sc.name);
}

static int g_replay_started;
static thunk g_replay_thunk;

static void replay_main(void *unused) {
  (void)unused;
  replay();
  report("standin: %d checks, %d failed", g_checks, g_failures);
  if (g_report) fclose(g_report);
  g_report = NULL;
  DOKAN_FILE_INFO fi;
  memset(&fi, 0, sizeof fi);
  fi.DokanOptions = g_options;
  g_ops->Unmounted(&fi);
  __atomic_store_n(&g_replaying, 0, __ATOMIC_SEQ_CST);
  __atomic_store_n(&g_closed, 1, __ATOMIC_SEQ_CST);
}

/* DOKAN_STANDIN_SCRIPT=write:NAME: one file written as an application would, left to the host's write-back. */
static char g_write_name[200];
static void write_main(void *unused) {
  (void)unused;
  static const char line[] = "written through the mount before the upgrade\n";
  scenario sc = {"write", ""};
  handle h; ULONG32 n = 0;
  NTST status = open_(&sc, &h, g_write_name, FILE_GENERIC_WRITE, ATTR_NORMAL, 0, FILE_CREATE, FILE_NON_DIRECTORY_FILE);
  if (status == ST_OBJECT_NAME_COLLISION) { report("EXISTS %s", g_write_name); return; }
  if (status != ST_SUCCESS) { report("FAIL write:%s: create gave 0x%08X", g_write_name, (unsigned)status); return; }
  status = write_(&h, line, sizeof line - 1, 0, &n);
  done(&h);
  if (status != ST_SUCCESS || n != sizeof line - 1) report("FAIL write:%s: WriteFile gave 0x%08X, %u bytes", g_write_name, (unsigned)status, (unsigned)n);
  else report("WROTE %s", g_write_name);
}

/* ---- the exports ---- */
static volatile int g_init_count, g_live, g_waiting, g_instance_freed;

EXPORT void DokanInit(void) { __atomic_add_fetch(&g_init_count, 1, __ATOMIC_SEQ_CST); g_initialized = 1; }
EXPORT void DokanShutdown(void) {
  int left = __atomic_sub_fetch(&g_init_count, 1, __ATOMIC_SEQ_CST);
  report("SHUTDOWN");
  if (left < 0) report("FAIL DokanShutdown without DokanInit");
  if (left == 0 && __atomic_load_n(&g_live, __ATOMIC_SEQ_CST)) report("FAIL DokanShutdown with a mount still open (it closes every mount)");
  if (left <= 0) { g_initialized = 0; if (g_report) { fclose(g_report); g_report = NULL; } }
}
EXPORT ULONG32 DokanVersion(void) { const char *e = getenv("DOKAN_STANDIN_VERSION"); return e && *e ? (ULONG32)atoi(e) : 231; }
EXPORT ULONG32 DokanDriverVersion(void) { const char *e = getenv("DOKAN_STANDIN_NO_DRIVER"); return e && *e == '1' ? 0 : 231; }
EXPORT int32_t DokanResetTimeout(ULONG32 ms, DOKAN_FILE_INFO *fi) { (void)ms; (void)fi; __atomic_add_fetch(&g_resets, 1, __ATOMIC_SEQ_CST); return 1; }

EXPORT int DokanCreateFileSystem(DOKAN_OPTIONS *options, DOKAN_OPERATIONS *operations, void **instance) {
  const char *path = getenv("DOKAN_STANDIN_REPORT");
  g_report = path ? fopen(path, "w") : NULL;
  if (!g_initialized) { report("FAIL DokanCreateFileSystem before DokanInit"); return -1; }
  if (options->Version < 200) return -7;
  if (!options->MountPoint || !options->GlobalContext) { report("FAIL options without a mount point or global context"); return -6; }
  for (size_t i = 0; i < sizeof *operations / sizeof(void *); i++) {
    /* FindFiles may be NULL when FindFilesWithPattern exists, FindStreams without ALT_STREAM. */
    void **slots = (void **)operations;
    if (!slots[i] && i != 7 && i != 24) report("FAIL operation %d is NULL", (int)i);
  }
  g_options = options;
  g_ops = operations;
  g_closed = 0;
  g_instance_freed = 0;
  g_live = 1;
  DOKAN_FILE_INFO fi;
  memset(&fi, 0, sizeof fi);
  fi.DokanOptions = options;
  char mount[300];
  narrow(options->MountPoint, mount, sizeof mount);
  char unc[300] = "";
  if (options->UNCName) narrow(options->UNCName, unc, sizeof unc);
  report("MOUNTED %s options=0x%X timeout=%u unc=%s", mount, (unsigned)options->Options, (unsigned)options->Timeout, unc);
  operations->Mounted(options->MountPoint, &fi);
  *instance = (void *)options;
  const char *script = getenv("DOKAN_STANDIN_SCRIPT");
  if (script && !strncmp(script, "write:", 6)) {
    snprintf(g_write_name, sizeof g_write_name, "%s", script + 6);
    g_replay_thunk = (thunk){write_main, NULL};
    g_replay = start_thread(&g_replay_thunk);
    g_replay_started = 1;
  } else if (!(script && !strcmp(script, "none"))) {
    g_replaying = 1;
    g_replay_thunk = (thunk){replay_main, NULL};
    g_replay = start_thread(&g_replay_thunk);
    g_replay_started = 1;
  }
  return 0;
}

EXPORT ULONG32 DokanWaitForFileSystemClosed(void *instance, ULONG32 ms) {
  (void)instance;
  if (__atomic_load_n(&g_instance_freed, __ATOMIC_SEQ_CST)) { report("FAIL DokanWaitForFileSystemClosed on an instance DokanCloseHandle freed"); return 0; }
  __atomic_add_fetch(&g_waiting, 1, __ATOMIC_SEQ_CST);
  ULONG32 result = 0;
  for (uint64_t waited = 0; !__atomic_load_n(&g_closed, __ATOMIC_SEQ_CST); waited += 10) {
    if (ms != 0xFFFFFFFFu && waited >= ms) { result = 0x102; break; }
    sleep_ms(10);
  }
  __atomic_sub_fetch(&g_waiting, 1, __ATOMIC_SEQ_CST);
  return result;
}

/* The host must not call it: DokanCloseHandle removes the mount point the driver assigned, and this one, by name,
 * could unmount another Dokan volume now at that letter. */
EXPORT int32_t DokanRemoveMountPoint(const WCH *mountPoint) {
  char mount[300];
  narrow(mountPoint, mount, sizeof mount);
  report("REMOVED %s", mount);
  return 1;
}

EXPORT void DokanCloseHandle(void *instance) {
  (void)instance;
  if (__atomic_load_n(&g_waiting, __ATOMIC_SEQ_CST)) report("FAIL DokanCloseHandle while another thread waits on the instance (it is freed under that wait)");
  if (g_replay_started) { join_thread(g_replay); g_replay_started = 0; }
  __atomic_store_n(&g_closed, 1, __ATOMIC_SEQ_CST);
  __atomic_store_n(&g_live, 0, __ATOMIC_SEQ_CST);
  __atomic_store_n(&g_instance_freed, 1, __ATOMIC_SEQ_CST);
  report("CLOSED");
}
