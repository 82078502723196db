/* The Dokan 2.x ABI (x64) as dokan2.dll exposes it, for the stand-in library. Sizes and offsets are those of
 * ../shared/design/dokan2-abi.md (measured from the real headers); every struct is checked with _Static_assert.
 * One header for both builds: gcc on Linux (a .so) and mingw-w64 (a .dll). */
#ifndef DOKAN2_ABI_H
#define DOKAN2_ABI_H
#include <stddef.h>
#include <stdint.h>

#ifdef _WIN32
#define EXPORT __declspec(dllexport)
#else
#define EXPORT __attribute__((visibility("default")))
#endif

typedef uint16_t WCH;          /* WCHAR: 16-bit on both (wchar_t is 32-bit on Linux) */
typedef int32_t NTST;
typedef uint32_t ULONG32;      /* ULONG / DWORD / ACCESS_MASK: 32-bit on both (C long is 64-bit on Linux) */
typedef int64_t LONGLONG64;

typedef struct {
  uint16_t Version;
  uint8_t SingleThread;
  ULONG32 Options;
  uint64_t GlobalContext;
  const WCH *MountPoint;
  const WCH *UNCName;
  ULONG32 Timeout;
  ULONG32 AllocationUnitSize;
  ULONG32 SectorSize;
  ULONG32 VolumeSecurityDescriptorLength;
  char VolumeSecurityDescriptor[16384];
} DOKAN_OPTIONS;

typedef struct {
  uint64_t Context;
  uint64_t DokanContext;
  DOKAN_OPTIONS *DokanOptions;
  void *ProcessingContext;
  ULONG32 ProcessId;
  uint8_t IsDirectory;
  uint8_t DeletePending;
  uint8_t PagingIo;
  uint8_t SynchronousIo;
  uint8_t Nocache;
  uint8_t WriteToEndOfFile;
} DOKAN_FILE_INFO;

typedef struct { ULONG32 Low, High; } FILETIME32;

typedef struct {
  ULONG32 dwFileAttributes;
  FILETIME32 ftCreationTime, ftLastAccessTime, ftLastWriteTime;
  ULONG32 dwVolumeSerialNumber, nFileSizeHigh, nFileSizeLow, nNumberOfLinks, nFileIndexHigh, nFileIndexLow;
} BY_HANDLE_FILE_INFORMATION32;

typedef struct {
  ULONG32 dwFileAttributes;
  FILETIME32 ftCreationTime, ftLastAccessTime, ftLastWriteTime;
  ULONG32 nFileSizeHigh, nFileSizeLow, dwReserved0, dwReserved1;
  WCH cFileName[260];
  WCH cAlternateFileName[14];
} WIN32_FIND_DATAW32;

typedef int (*PFillFindData)(WIN32_FIND_DATAW32 *, DOKAN_FILE_INFO *);

typedef struct {
  NTST (*ZwCreateFile)(const WCH *, void *, ULONG32, ULONG32, ULONG32, ULONG32, ULONG32, DOKAN_FILE_INFO *);
  void (*Cleanup)(const WCH *, DOKAN_FILE_INFO *);
  void (*CloseFile)(const WCH *, DOKAN_FILE_INFO *);
  NTST (*ReadFile)(const WCH *, void *, ULONG32, ULONG32 *, LONGLONG64, DOKAN_FILE_INFO *);
  NTST (*WriteFile)(const WCH *, const void *, ULONG32, ULONG32 *, LONGLONG64, DOKAN_FILE_INFO *);
  NTST (*FlushFileBuffers)(const WCH *, DOKAN_FILE_INFO *);
  NTST (*GetFileInformation)(const WCH *, BY_HANDLE_FILE_INFORMATION32 *, DOKAN_FILE_INFO *);
  NTST (*FindFiles)(const WCH *, PFillFindData, DOKAN_FILE_INFO *);
  NTST (*FindFilesWithPattern)(const WCH *, const WCH *, PFillFindData, DOKAN_FILE_INFO *);
  NTST (*SetFileAttributes)(const WCH *, ULONG32, DOKAN_FILE_INFO *);
  NTST (*SetFileTime)(const WCH *, const FILETIME32 *, const FILETIME32 *, const FILETIME32 *, DOKAN_FILE_INFO *);
  NTST (*DeleteFile)(const WCH *, DOKAN_FILE_INFO *);
  NTST (*DeleteDirectory)(const WCH *, DOKAN_FILE_INFO *);
  NTST (*MoveFile)(const WCH *, const WCH *, int32_t, DOKAN_FILE_INFO *);
  NTST (*SetEndOfFile)(const WCH *, LONGLONG64, DOKAN_FILE_INFO *);
  NTST (*SetAllocationSize)(const WCH *, LONGLONG64, DOKAN_FILE_INFO *);
  NTST (*LockFile)(const WCH *, LONGLONG64, LONGLONG64, DOKAN_FILE_INFO *);
  NTST (*UnlockFile)(const WCH *, LONGLONG64, LONGLONG64, DOKAN_FILE_INFO *);
  NTST (*GetDiskFreeSpace)(uint64_t *, uint64_t *, uint64_t *, DOKAN_FILE_INFO *);
  NTST (*GetVolumeInformation)(WCH *, ULONG32, ULONG32 *, ULONG32 *, ULONG32 *, WCH *, ULONG32, DOKAN_FILE_INFO *);
  NTST (*Mounted)(const WCH *, DOKAN_FILE_INFO *);
  NTST (*Unmounted)(DOKAN_FILE_INFO *);
  NTST (*GetFileSecurity)(const WCH *, ULONG32 *, void *, ULONG32, ULONG32 *, DOKAN_FILE_INFO *);
  NTST (*SetFileSecurity)(const WCH *, ULONG32 *, void *, ULONG32, DOKAN_FILE_INFO *);
  NTST (*FindStreams)(const WCH *, void *, void *, DOKAN_FILE_INFO *);
} DOKAN_OPERATIONS;

_Static_assert(sizeof(DOKAN_OPTIONS) == 16432, "DOKAN_OPTIONS");
_Static_assert(offsetof(DOKAN_OPTIONS, Options) == 4, "DOKAN_OPTIONS.Options");
_Static_assert(offsetof(DOKAN_OPTIONS, MountPoint) == 16, "DOKAN_OPTIONS.MountPoint");
_Static_assert(offsetof(DOKAN_OPTIONS, Timeout) == 32, "DOKAN_OPTIONS.Timeout");
_Static_assert(offsetof(DOKAN_OPTIONS, VolumeSecurityDescriptor) == 48, "DOKAN_OPTIONS.VolumeSecurityDescriptor");
_Static_assert(sizeof(DOKAN_FILE_INFO) == 48, "DOKAN_FILE_INFO");
_Static_assert(offsetof(DOKAN_FILE_INFO, ProcessId) == 32, "DOKAN_FILE_INFO.ProcessId");
_Static_assert(offsetof(DOKAN_FILE_INFO, IsDirectory) == 36, "DOKAN_FILE_INFO.IsDirectory");
_Static_assert(offsetof(DOKAN_FILE_INFO, WriteToEndOfFile) == 41, "DOKAN_FILE_INFO.WriteToEndOfFile");
_Static_assert(sizeof(DOKAN_OPERATIONS) == 200, "DOKAN_OPERATIONS");
_Static_assert(sizeof(BY_HANDLE_FILE_INFORMATION32) == 52, "BY_HANDLE_FILE_INFORMATION");
_Static_assert(offsetof(BY_HANDLE_FILE_INFORMATION32, nFileSizeLow) == 36, "BY_HANDLE_FILE_INFORMATION.nFileSizeLow");
_Static_assert(sizeof(WIN32_FIND_DATAW32) == 592, "WIN32_FIND_DATAW");
_Static_assert(offsetof(WIN32_FIND_DATAW32, cFileName) == 44, "WIN32_FIND_DATAW.cFileName");
_Static_assert(offsetof(WIN32_FIND_DATAW32, cAlternateFileName) == 564, "WIN32_FIND_DATAW.cAlternateFileName");

/* NTST values the replay expects. */
#define ST_SUCCESS 0
#define ST_NOT_A_DIRECTORY ((NTST)0xC0000103)
#define ST_OBJECT_NAME_NOT_FOUND ((NTST)0xC0000034)
#define ST_OBJECT_NAME_COLLISION ((NTST)0xC0000035)
#define ST_OBJECT_PATH_NOT_FOUND ((NTST)0xC000003A)
#define ST_SHARING_VIOLATION ((NTST)0xC0000043)
#define ST_ACCESS_DENIED ((NTST)0xC0000022)
#define ST_DIRECTORY_NOT_EMPTY ((NTST)0xC0000101)
#define ST_CANNOT_DELETE ((NTST)0xC0000121)
#define ST_DELETE_PENDING ((NTST)0xC0000056)
#define ST_FILE_IS_A_DIRECTORY ((NTST)0xC00000BA)
#define ST_LOCK_NOT_GRANTED ((NTST)0xC0000055)
#define ST_FILE_LOCK_CONFLICT ((NTST)0xC0000054)
#define ST_RANGE_NOT_LOCKED ((NTST)0xC000007E)

/* Dispositions, options, access, share, attributes (raw NT values). */
#ifndef FILE_SUPERSEDE
#define FILE_SUPERSEDE 0
#endif
#ifndef FILE_OPEN
#define FILE_OPEN 1
#endif
#ifndef FILE_CREATE
#define FILE_CREATE 2
#endif
#ifndef FILE_OPEN_IF
#define FILE_OPEN_IF 3
#endif
#ifndef FILE_OVERWRITE
#define FILE_OVERWRITE 4
#endif
#ifndef FILE_OVERWRITE_IF
#define FILE_OVERWRITE_IF 5
#endif
#ifndef FILE_DIRECTORY_FILE
#define FILE_DIRECTORY_FILE 0x1
#endif
#ifndef FILE_SEQUENTIAL_ONLY
#define FILE_SEQUENTIAL_ONLY 0x4
#endif
#ifndef FILE_SYNCHRONOUS_IO_NONALERT
#define FILE_SYNCHRONOUS_IO_NONALERT 0x20
#endif
#ifndef FILE_NON_DIRECTORY_FILE
#define FILE_NON_DIRECTORY_FILE 0x40
#endif
#ifndef FILE_DELETE_ON_CLOSE
#define FILE_DELETE_ON_CLOSE 0x1000
#endif
#ifndef FILE_OPEN_FOR_BACKUP_INTENT
#define FILE_OPEN_FOR_BACKUP_INTENT 0x4000
#endif
#ifndef FILE_OPEN_REPARSE_POINT
#define FILE_OPEN_REPARSE_POINT 0x200000
#endif
#ifndef FILE_READ_DATA
#define FILE_READ_DATA 0x1
#endif
#ifndef FILE_LIST_DIRECTORY
#define FILE_LIST_DIRECTORY 0x1
#endif
#ifndef FILE_WRITE_DATA
#define FILE_WRITE_DATA 0x2
#endif
#ifndef FILE_READ_ATTRIBUTES
#define FILE_READ_ATTRIBUTES 0x80
#endif
#define DELETE_ACCESS 0x10000
#define SYNCHRONIZE_ACCESS 0x100000
#ifndef FILE_GENERIC_READ
#define FILE_GENERIC_READ 0x120089
#endif
#ifndef FILE_GENERIC_WRITE
#define FILE_GENERIC_WRITE 0x120116
#endif
#ifndef FILE_SHARE_READ
#define FILE_SHARE_READ 1
#endif
#ifndef FILE_SHARE_WRITE
#define FILE_SHARE_WRITE 2
#endif
#ifndef FILE_SHARE_DELETE
#define FILE_SHARE_DELETE 4
#endif
#define ATTR_READONLY 0x1
#define ATTR_HIDDEN 0x2
#define ATTR_DIRECTORY 0x10
#define ATTR_ARCHIVE 0x20
#define ATTR_NORMAL 0x80
#endif
