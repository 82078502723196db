using BucketMount.Backends.S3;
using BucketMount.Backends.Tests.Contract;
using BucketMount.TestSupport;

namespace BucketMount.Backends.Tests.S3;

/// <summary>
/// The contract against s3rver 3.7.1. Its gaps (real S3 has none): V2 listing breaks on a second page (so V1 here),
/// conditional headers are ignored, abort and listing of multipart uploads are not implemented, a prefix holding only deeper
/// prefixes is not listed, key segments near 255 bytes crash it, a range on an empty object hangs, keys with
/// "." / ".." / "//" are normalized, and DeleteObjects of keys in one folder races with itself (InternalError), so
/// batch delete is off here.
/// </summary>
[TestClass]
public sealed class S3rverContractTests : ObjectStoreContractTests
{
    protected override ContractGaps Gaps =>
        ContractGaps.NoConditionalWrites | ContractGaps.NoConditionalReads | ContractGaps.NoMultipartAbort
        | ContractGaps.DropsPrefixOfOnlyDeeperPrefixes | ContractGaps.NoLongKeySegments | ContractGaps.BrokenRangeOnEmptyObject
        | ContractGaps.NormalizesDotSegments | ContractGaps.NoUploadListing;

    protected override IEnumerable<string> KnownSecrets => [S3Buckets.SecretKey];

    protected override async Task<IObjectStore> CreateStoreAsync(CancellationToken cancellationToken) =>
        await S3Buckets.CreateAsync(await Emulators.S3rver, S3Buckets.ForS3rver, cancellationToken);
}

/// <summary>
/// The contract against fauxqs 2.4.1 (in memory): V2 paging, abort, UploadPartCopy, GET If-Match, long keys and
/// dot segments are right there. It ignores If-Match / If-None-Match on PUT and CompleteMultipartUpload and
/// x-amz-copy-source-if-match on copy (measured: 200 and the object replaced), so conditional writes are checked on
/// Azurite and the local and memory stores instead. ListMultipartUploads answers an empty object listing. It checks
/// no credentials.
/// </summary>
[TestClass]
public sealed class FauxqsContractTests : ObjectStoreContractTests
{
    protected override ContractGaps Gaps => ContractGaps.NoConditionalWrites | ContractGaps.NoUploadListing;

    protected override IEnumerable<string> KnownSecrets => [S3Buckets.SecretKey];

    protected override async Task<IObjectStore> CreateStoreAsync(CancellationToken cancellationToken) =>
        await S3Buckets.CreateAsync(await Emulators.Fauxqs, o => o with { ConditionalWrites = false }, cancellationToken);
}
