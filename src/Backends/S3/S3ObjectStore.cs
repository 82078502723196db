using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using BucketMount.Backends.Internal;

namespace BucketMount.Backends.S3;

/// <summary>
/// Amazon S3 and S3-compatible stores through AWSSDK.S3. Every real request is counted; the SDK does no retries of
/// its own (the retry decorator does), and every failure becomes an <see cref="ObjectStoreException"/>.
/// </summary>
public sealed partial class S3ObjectStore : IObjectStore
{
    // Without batch delete (servers lacking DeleteObjects), a directory's keys go by single DELETEs this many at once.
    private const int SingleDeleteParallelism = 8;
    private readonly AmazonS3Client _client;
    private readonly S3StoreOptions _options;

    public S3ObjectStore(S3StoreOptions options)
    {
        options.Validate();
        _options = options;
        _client = S3ClientFactory.Create(options);
        Description = options.Location;
        Capabilities = new StoreCapabilities
        {
            ConditionalWrites = options.ConditionalWrites,
            ConditionalReads = options.ConditionalReads,
            ListingIncludesMetadata = false,
            MaxSinglePutSize = S3StoreOptions.FiveGiB,
            MinPartSize = 5L * 1024 * 1024,
            MaxPartSize = S3StoreOptions.FiveGiB,
            MaxPartCount = 10_000,
            MaxKeyBytes = 1024,
            MaxBatchDelete = options.BatchDelete ? 1000 : 1,
            PartUploads = true,
        };
    }

    public StoreCapabilities Capabilities { get; }

    public StoreCounters Counters { get; } = new();

    public string Description { get; }

    private string Bucket => _options.Bucket;

    public async Task<ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken)
    {
        Validate(key);
        // Every lookup and stat miss is a HEAD: only copies need the content headers, so they are not gathered here.
        return await HeadResponseAsync(key, cancellationToken).ConfigureAwait(false) is { } response ? ToObjectInfo(key, response) : null;
    }

    /// <summary>One GET: its response carries the metadata a HEAD would, and a small body costs nothing more.</summary>
    public async Task<SmallObject?> GetSmallAsync(string key, int maxBytes, CancellationToken cancellationToken)
    {
        GetObjectResponse? response;
        try
        {
            response = await GetAsync(key, 0, null, null, cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectStoreException e) when (e.Kind == ObjectStoreErrorKind.NotFound)
        {
            return null;
        }

        using (response)
        {
            if (response is null)
            {
                return null;
            }

            var info = new ObjectInfo(key, response.ContentLength, response.ETag, ToTime(response.LastModified), ReadMetadata(response.Metadata), response.Headers.ContentType);
            if (info.Size > maxBytes)
            {
                // Disposing the response closes the connection before the body is read.
                return new SmallObject(info, null);
            }

            try
            {
                var data = new byte[info.Size];
                var read = await Transfers.FillAsync(response.ResponseStream, data, Counters, cancellationToken).ConfigureAwait(false);
                return new SmallObject(info, read == data.Length ? data : null);
            }
            catch (Exception e) when (e is IOException or HttpRequestException)
            {
                throw Fail(e, key);
            }
        }
    }

    public async Task<int> ReadAsync(string key, long offset, Memory<byte> buffer, ReadOptions? options, CancellationToken cancellationToken)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        using var response = await GetAsync(key, offset, offset + buffer.Length - 1, options, cancellationToken).ConfigureAwait(false);
        if (response is null)
        {
            return 0;
        }

        try
        {
            return await Transfers.FillAsync(response.ResponseStream, buffer, Counters, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            throw Fail(e, key);
        }
    }

    public async Task<long> ReadToAsync(string key, long offset, long? length, Stream destination, ReadOptions? options, CancellationToken cancellationToken)
    {
        if (length == 0)
        {
            return 0;
        }

        using var response = await GetAsync(key, offset, length is { } l ? offset + l - 1 : null, options, cancellationToken).ConfigureAwait(false);
        if (response is null)
        {
            return 0;
        }

        try
        {
            return await Transfers.CopyAsync(response.ResponseStream, destination, Counters, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or HttpRequestException or Amazon.Runtime.AmazonClientException)
        {
            // AmazonClientException: the body did not match its checksum (torn by a concurrent overwrite on some servers).
            throw Fail(e, key);
        }
    }

    public async Task<ObjectInfo> PutAsync(string key, Stream content, PutOptions? options, CancellationToken cancellationToken)
    {
        Validate(key);
        var metadata = MetadataRules.Validate(options?.Metadata, Description, key);

        // The request is signed over its payload, so it needs a length: a stream that cannot seek is read into memory.
        var seekable = await Transfers.SeekableAsync(content, cancellationToken).ConfigureAwait(false);
        var length = seekable.Length - seekable.Position;
        var request = new PutObjectRequest
        {
            BucketName = Bucket,
            Key = key,
            InputStream = seekable,
            AutoCloseStream = false,
            AutoResetStreamPosition = false,
            UseChunkEncoding = false,
            ContentType = options?.ContentType ?? "application/octet-stream",
        };
        AddMetadata(request.Metadata, metadata);
        AddConditions(options, (m, n) => (request.IfMatch, request.IfNoneMatch) = (m, n));
        Counters.CountRequest(RequestKind.Put);
        try
        {
            var response = await _client.PutObjectAsync(request, cancellationToken).ConfigureAwait(false);
            Counters.AddUploaded(length);
            return new ObjectInfo(key, length, response.ETag, DateTimeOffset.UtcNow, metadata ?? new Dictionary<string, string>(), request.ContentType);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw Fail(e, key);
        }
        finally
        {
            if (!ReferenceEquals(seekable, content))
            {
                await seekable.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        Validate(key);
        Counters.CountRequest(RequestKind.Delete);
        try
        {
            await _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = Bucket, Key = key }, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound && e.ErrorCode != "NoSuchBucket")
        {
            // Deleting a missing key succeeds, as S3 itself answers.
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw Fail(e, key);
        }
    }

    public async Task<IReadOnlyList<DeleteFailure>> DeleteManyAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        var failures = new List<DeleteFailure>();
        if (!_options.BatchDelete)
        {
            return await Transfers.DeleteEachAsync(this, keys, SingleDeleteParallelism, cancellationToken).ConfigureAwait(false);
        }

        // The DeleteObjects body is XML 1.0, which cannot carry a key with U+0001 and the like (S3 answers
        // MalformedXML for the whole batch), turns a CR into LF, and whose text some servers trim (s3rver deleted
        // "dir/lead" for "dir/ lead"... and kept "dir/trail " for "dir/trail", so `rm -rf` and `mv` of a directory
        // left such files behind): those keys go one by one, their key in the URL.
        var xmlSafe = keys.Where(SurvivesXmlBody).ToList();
        if (xmlSafe.Count < keys.Count)
        {
            failures.AddRange(await Transfers.DeleteEachAsync(this, keys.Where(k => !SurvivesXmlBody(k)).ToList(), SingleDeleteParallelism, cancellationToken).ConfigureAwait(false));
        }

        foreach (var batch in xmlSafe.Chunk(Capabilities.MaxBatchDelete))
        {
            Counters.CountRequest(RequestKind.Delete);
            var request = new DeleteObjectsRequest { BucketName = Bucket, Quiet = true, Objects = batch.Select(k => new KeyVersion { Key = k }).ToList() };
            try
            {
                var response = await _client.DeleteObjectsAsync(request, cancellationToken).ConfigureAwait(false);
                failures.AddRange((response.DeleteErrors ?? []).Select(e => new DeleteFailure(e.Key,
                    new ObjectStoreException(e.Code is "SlowDown" or "InternalError" ? ObjectStoreErrorKind.Transient : ObjectStoreErrorKind.AccessDenied, $"{e.Code}: {e.Message}", Description, e.Key))));
            }
            catch (DeleteObjectsException e)
            {
                failures.AddRange((e.Response?.DeleteErrors ?? []).Select(d => new DeleteFailure(d.Key, new ObjectStoreException(ObjectStoreErrorKind.AccessDenied, $"{d.Code}: {d.Message}", Description, d.Key))));
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                throw Fail(e, null);
            }
        }

        return failures;
    }

    /// <summary>Whether a key reaches the server unchanged inside an XML body's text: XML characters, no CR, no whitespace at either end.</summary>
    private static bool SurvivesXmlBody(string key) =>
        IsXmlSafe(key) && !key.Contains('\r', StringComparison.Ordinal) && (key.Length == 0 || !IsXmlWhitespace(key[0]) && !IsXmlWhitespace(key[^1]));

    private static bool IsXmlWhitespace(char c) => c is ' ' or '\t' or '\n' or '\r';

    private static bool IsXmlSafe(string key)
    {
        for (var i = 0; i < key.Length; i++)
        {
            if (i + 1 < key.Length && System.Xml.XmlConvert.IsXmlSurrogatePair(key[i + 1], key[i]))
            {
                i++;
            }
            else if (!System.Xml.XmlConvert.IsXmlChar(key[i]))
            {
                return false;
            }
        }

        return true;
    }

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }

    public override string ToString() => Description;

    /// <summary>A ranged GET; null when the range starts at or past the end (S3's 416).</summary>
    private async Task<GetObjectResponse?> GetAsync(string key, long first, long? last, ReadOptions? options, CancellationToken cancellationToken)
    {
        Validate(key);
        var request = new GetObjectRequest { BucketName = Bucket, Key = key };
        if (first > 0 || last is not null)
        {
            // A whole-object read sends no range: "bytes=0-" on an empty object is a 416 on S3 and broken on s3rver.
            request.ByteRange = last is { } end ? new ByteRange(first, end) : new ByteRange($"bytes={first}-");
        }

        if (options?.IfMatch is { } etag && _options.ConditionalReads)
        {
            request.EtagToMatch = etag;
        }

        Counters.CountRequest(RequestKind.Get);
        try
        {
            return await _client.GetObjectAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            return null;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw Fail(e, key);
        }
    }

    private void AddConditions(PutOptions? options, Action<string?, string?> set)
    {
        if (!_options.ConditionalWrites || options is null)
        {
            return;
        }

        set(options.IfMatch, options.IfNoneMatch ? "*" : null);
    }

    private static void AddMetadata(MetadataCollection target, IReadOnlyDictionary<string, string>? metadata)
    {
        foreach (var (name, value) in metadata ?? new Dictionary<string, string>())
        {
            target[name] = value;
        }
    }

    private static Dictionary<string, string> ReadMetadata(MetadataCollection? metadata)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (metadata is null)
        {
            return result;
        }

        foreach (var name in metadata.Keys)
        {
            var bare = name.StartsWith("x-amz-meta-", StringComparison.OrdinalIgnoreCase) ? name["x-amz-meta-".Length..] : name;
            result[bare.ToLowerInvariant()] = metadata[name];
        }

        return result;
    }

    private static DateTimeOffset ToTime(DateTime? time) =>
        time is { } t ? new DateTimeOffset(t.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(t, DateTimeKind.Utc) : t.ToUniversalTime()) : DateTimeOffset.UnixEpoch;

    private void Validate(string key) => MetadataRules.ValidateKey(key, Capabilities.MaxKeyBytes, Description);

    /// <summary>A failure as the store's typed error; the callers' filters already let the caller's own cancellation through.</summary>
    private ObjectStoreException Fail(Exception error, string? key) => S3Errors.Map(error, Description, key);
}
