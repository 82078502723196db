using BucketMount.Gateway.Grants;
using BucketMount.Gateway.Http;

namespace BucketMount.Gateway.Policy;

/// <summary>
/// Decides what a verified request may do under its grant: which S3 operation it is, that every key it names lies
/// under the grant's prefix, that a read-only grant only reads, and that bucket-level operations are limited to
/// listing, HEAD bucket and GetBucketLocation. A listing above the prefix is refused, never filtered.
/// </summary>
internal static class RequestPolicy
{
    // Query parameters an object request may carry; anything else (?acl, ?tagging, ?retention…) is refused.
    private static readonly HashSet<string> ObjectParameters = new(StringComparer.Ordinal)
    {
        "versionId", "partNumber", "uploadId", "uploads", "x-id", "response-content-type", "response-content-language", "response-expires",
        "response-cache-control", "response-content-disposition", "response-content-encoding",
    };

    private static readonly HashSet<string> ListParameters = new(StringComparer.Ordinal)
    {
        "list-type", "prefix", "delimiter", "marker", "start-after", "continuation-token", "max-keys", "encoding-type", "fetch-owner", "x-id",
        "uploads", "key-marker", "upload-id-marker", "max-uploads",
    };

    public static S3Operation Authorize(HttpRequestHead request, string gatewayBucket, Grant grant, GatewaySeals seals)
    {
        var (bucket, key) = RequestTarget.Parse(request, gatewayBucket);
        if (!string.Equals(bucket, gatewayBucket, StringComparison.Ordinal) || (grant.Bucket.Length > 0 && grant.Bucket != bucket))
        {
            throw Denied($"this grant is for bucket {(grant.Bucket.Length > 0 ? grant.Bucket : gatewayBucket)}", $"request names bucket '{bucket}'");
        }

        var rooted = grant.Rooted ? new RootedView(grant.Prefix) : null;
        var operation = key.Length == 0 ? Bucket(request, bucket, grant, seals, rooted) : Object(request, bucket, rooted?.ToStore(key) ?? key, grant, seals.UploadIds, rooted);
        if (operation.IsWrite && grant.ReadOnly)
        {
            throw Denied("this grant is read-only", $"{operation.Name} under a read-only grant");
        }

        return operation;
    }

    private static S3Operation Object(HttpRequestHead request, string bucket, string key, Grant grant, UploadIdSeal seal, RootedView? rooted)
    {
        foreach (var pair in request.Query)
        {
            if (!ObjectParameters.Contains(pair.Key) && !pair.Key.StartsWith("X-Amz-", StringComparison.Ordinal))
            {
                throw Denied($"the gateway does not pass the object subresource ?{pair.Key}", $"object subresource ?{pair.Key}");
            }
        }

        KeyRules.RequireUnderPrefix(key, grant, "the key");
        var name = ObjectOperationName(request) ?? throw Denied($"the gateway does not pass {request.Method} on objects", $"{request.Method} on an object");

        var copySource = request.Header("x-amz-copy-source") is { } source ? CheckCopySource(source, bucket, grant, rooted) : null;
        var overrides = new Dictionary<string, string>(StringComparer.Ordinal);
        if (request.QueryValue("uploadId") is { } uploadId)
        {
            overrides["uploadId"] = seal.Open(bucket, key, uploadId);
        }

        return new S3Operation
        {
            Name = name, Bucket = bucket, Key = key, CopySource = copySource, IsWrite = request.Method is not ("GET" or "HEAD"), QueryOverrides = overrides, Rooted = rooted,
            UploadIds = name is "CreateMultipartUpload" or "ListParts" ? UploadIdAnswer.ForKey : UploadIdAnswer.None,
        };
    }

    /// <summary>The S3 operation a request names, for the audit line of one refused before the policy named it.</summary>
    public static string Describe(HttpRequestHead request, string gatewayBucket)
    {
        var (_, key) = RequestTarget.Parse(request, gatewayBucket);
        if (key.Length > 0)
        {
            return ObjectOperationName(request) ?? request.Method + "Object";
        }

        return request.Method switch
        {
            "HEAD" => "HeadBucket",
            "GET" when request.HasQuery("location") => "GetBucketLocation",
            "GET" when request.HasQuery("uploads") => "ListMultipartUploads",
            "GET" when request.QueryValue("list-type") == "2" => "ListObjectsV2",
            "GET" => "ListObjects",
            "POST" when request.HasQuery("delete") => "DeleteObjects",
            _ => request.Method + "Bucket",
        };
    }

    private static string? ObjectOperationName(HttpRequestHead request)
    {
        var uploadId = request.HasQuery("uploadId");
        return request.Method switch
        {
            "GET" => uploadId ? "ListParts" : "GetObject",
            "HEAD" => "HeadObject",
            "PUT" when request.Header("x-amz-copy-source") is not null => uploadId ? "UploadPartCopy" : "CopyObject",
            "PUT" => uploadId ? "UploadPart" : "PutObject",
            "DELETE" => uploadId ? "AbortMultipartUpload" : "DeleteObject",
            "POST" when request.HasQuery("uploads") => "CreateMultipartUpload",
            "POST" when uploadId => "CompleteMultipartUpload",
            _ => null,
        };
    }

    private static S3Operation Bucket(HttpRequestHead request, string bucket, Grant grant, GatewaySeals seals, RootedView? rooted)
    {
        if (request.Method == "HEAD" && request.Query.All(p => p.Key.StartsWith("X-Amz-", StringComparison.Ordinal)))
        {
            return new S3Operation { Name = "HeadBucket", Bucket = bucket };
        }

        if (request.Method == "GET" && request.HasQuery("location"))
        {
            return new S3Operation { Name = "GetBucketLocation", Bucket = bucket };
        }

        if (request.Method == "POST" && request.HasQuery("delete"))
        {
            return new S3Operation { Name = "DeleteObjects", Bucket = bucket, IsWrite = true, IsMultiDelete = true, Rooted = rooted };
        }

        if (request.Method == "GET")
        {
            foreach (var pair in request.Query)
            {
                if (!ListParameters.Contains(pair.Key) && !pair.Key.StartsWith("X-Amz-", StringComparison.Ordinal))
                {
                    throw Denied($"the gateway does not pass the bucket subresource ?{pair.Key}", $"bucket subresource ?{pair.Key}");
                }
            }

            var uploads = request.HasQuery("uploads");
            var overrides = rooted is null ? new Dictionary<string, string>(StringComparer.Ordinal) : RootedListing(request, rooted);
            string? Value(string name) => overrides.TryGetValue(name, out var value) ? value : request.QueryValue(name);
            CheckListing(Value, grant, uploads ? ["key-marker"] : ["marker", "start-after"]);
            if (uploads && request.QueryValue("upload-id-marker") is { Length: > 0 } marker)
            {
                overrides["upload-id-marker"] = seals.UploadIds.Open(bucket, Value("key-marker") ?? "", marker);
            }

            var v2 = !uploads && request.QueryValue("list-type") == "2";
            if (request.QueryValue("continuation-token") is { Length: > 0 } token)
            {
                overrides["continuation-token"] = seals.ContinuationTokens.Open(bucket, Value("prefix") ?? "", token);
            }

            return new S3Operation
            {
                Name = uploads ? "ListMultipartUploads" : v2 ? "ListObjectsV2" : "ListObjects", Bucket = bucket, ListingPrefix = v2 ? Value("prefix") ?? "" : null,
                QueryOverrides = overrides, UploadIds = uploads ? UploadIdAnswer.Listing : UploadIdAnswer.None, Rooted = rooted,
            };
        }

        throw Denied("the gateway allows only listing, HEAD and GetBucketLocation on the bucket", $"bucket-level {request.Method} {request.RawQuery}");
    }

    /// <summary>A rooted grant's listing as the store gets it: the prefix (always, so the root lists the grant's prefix) and the markers under the grant's prefix.</summary>
    private static Dictionary<string, string> RootedListing(HttpRequestHead request, RootedView rooted)
    {
        var overrides = new Dictionary<string, string>(StringComparer.Ordinal) { ["prefix"] = rooted.ToStore(request.QueryValue("prefix") ?? "") };
        foreach (var name in new[] { "marker", "start-after", "key-marker" })
        {
            if (request.QueryValue(name) is { Length: > 0 } marker)
            {
                overrides[name] = rooted.ToStore(marker);
            }
        }

        return overrides;
    }

    /// <summary>The listing's prefix must lie under the grant's; its markers too (a continuation token is checked by its seal).</summary>
    private static void CheckListing(Func<string, string?> query, Grant grant, string[] markers)
    {
        var prefix = query("prefix") ?? "";
        if (!prefix.StartsWith(grant.Prefix, StringComparison.Ordinal))
        {
            throw Denied($"a listing must name a prefix under {grant.Prefix}", $"listing of prefix '{prefix}' above the grant's");
        }

        KeyRules.RequireUnderPrefix(prefix, grant, "the listing prefix");
        foreach (var name in markers)
        {
            if (query(name) is { Length: > 0 } marker)
            {
                KeyRules.RequireUnderPrefix(marker, grant, $"the listing's {name}");
            }
        }
    }

    /// <summary>x-amz-copy-source: [/]bucket/key[?versionId=…], percent-encoded or not; returns it as the store is to get it.</summary>
    private static string CheckCopySource(string source, string bucket, Grant grant, RootedView? rooted)
    {
        var question = source.IndexOf('?', StringComparison.Ordinal);
        var path = Uri.UnescapeDataString(question < 0 ? source : source[..question]).TrimStart('/');
        var slash = path.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || path[..slash] != bucket)
        {
            throw Denied("the copy source must be in the grant's bucket", "copy source in another bucket");
        }

        var key = rooted?.ToStore(path[(slash + 1)..]) ?? path[(slash + 1)..];
        KeyRules.RequireUnderPrefix(key, grant, "the copy source");

        // Slashes left plain: S3 takes both, and s3rver (decodeURI) only this form.
        return "/" + bucket + "/" + Signing.CanonicalRequest.UriEncode(key, encodeSlash: false) + (question < 0 ? "" : source[question..]);
    }

    private static GatewayRefusal Denied(string message, string reason) => new(S3ErrorCode.AccessDenied, "Access denied: " + message + ".", reason);
}
