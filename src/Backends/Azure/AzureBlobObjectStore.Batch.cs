using System.Globalization;
using System.Net;
using System.Text;

namespace BucketMount.Backends.Azure;

/// <summary>
/// Deletes through Blob Batch (up to <see cref="BatchSize"/> sub-requests per request, a few requests in flight): one
/// multipart/mixed POST whose parts are each a DELETE of one blob, signed on its own (or carrying the SAS), answered
/// by one part per blob. Azurite 3.37 implements it, Shared Key and SAS alike.
/// </summary>
public sealed partial class AzureBlobObjectStore
{
    internal const int BatchSize = 256;
    private const int BatchesInFlight = 4;

    /// <summary>
    /// An account SAS (it has "srt=") sends the service-level batch: Azurite 3.37 has no account-SAS permission for the
    /// container-level one and answers 500. A service SAS (scoped to the container) and Shared Key send the container-level one.
    /// </summary>
    private bool IsAccountSas => _sas.Split('&').Any(p => p.StartsWith("srt=", StringComparison.OrdinalIgnoreCase));

    public async Task<IReadOnlyList<DeleteFailure>> DeleteManyAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        var failures = new List<DeleteFailure>();
        var valid = new List<string>(keys.Count);
        foreach (var key in keys.Distinct(StringComparer.Ordinal))
        {
            try
            {
                Validate(key);
                valid.Add(key);
            }
            catch (ObjectStoreException e)
            {
                failures.Add(new DeleteFailure(key, e));
            }
        }

        if (valid.Count == 1)
        {
            // One key needs no batch; its failure is reported like a sub-request's.
            try
            {
                await DeleteAsync(valid[0], cancellationToken).ConfigureAwait(false);
            }
            catch (ObjectStoreException e)
            {
                failures.Add(new DeleteFailure(valid[0], e));
            }

            return failures;
        }

        await Parallel.ForEachAsync(valid.Chunk(BatchSize), new ParallelOptions { MaxDegreeOfParallelism = BatchesInFlight, CancellationToken = cancellationToken },
            async (batch, ct) =>
            {
                var batchFailures = await DeleteBatchAsync(batch, ct).ConfigureAwait(false);
                lock (failures)
                {
                    failures.AddRange(batchFailures);
                }
            }).ConfigureAwait(false);
        return failures;
    }

    /// <summary>One Blob Batch request; a failure of the whole request (credentials, container) is thrown.</summary>
    private async Task<List<DeleteFailure>> DeleteBatchAsync(string[] keys, CancellationToken cancellationToken)
    {
        var boundary = "batch_" + Guid.NewGuid().ToString("D");
        var body = new StringBuilder();
        var date = DateTimeOffset.UtcNow.ToString("R", CultureInfo.InvariantCulture);
        var bearer = _tokens is null ? null : await _tokens.AuthorizationAsync(cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < keys.Length; i++)
        {
            AppendSubRequest(body, boundary, i, keys[i], date, bearer);
        }

        body.Append("--").Append(boundary).Append("--\r\n");
        string answer;
        string? answerType;
        using (var response = await SendAsync(HttpMethod.Post, null, IsAccountSas ? "comp=batch" : "restype=container&comp=batch", request =>
        {
            request.Content = new StringContent(body.ToString(), Encoding.UTF8);
            request.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse("multipart/mixed; boundary=" + boundary);
        }, RequestKind.Delete, cancellationToken, serviceLevel: IsAccountSas).ConfigureAwait(false))
        {
            answerType = response.Content.Headers.ContentType?.Parameters.FirstOrDefault(p => p.Name.Equals("boundary", StringComparison.OrdinalIgnoreCase))?.Value?.Trim('"');
            answer = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        }

        if (answerType is null)
        {
            throw new ObjectStoreException(ObjectStoreErrorKind.Transient, "the batch answer is not multipart; the deletes' outcome is unknown.", Description);
        }

        return ReadBatchAnswer(answer, answerType, keys);
    }

    /// <summary>One DELETE part, authorized on its own: signed with Shared Key, or carrying the bearer token (or the SAS in its URL).</summary>
    private void AppendSubRequest(StringBuilder body, string boundary, int id, string key, string date, string? bearer)
    {
        var uri = BuildUri(key, null);
        using var request = new HttpRequestMessage(HttpMethod.Delete, uri);
        request.Headers.Add("x-ms-date", date);
        _signer?.Sign(request);
        body.Append("--").Append(boundary).Append("\r\n")
            .Append("Content-Type: application/http\r\n")
            .Append("Content-Transfer-Encoding: binary\r\n")
            .Append("Content-ID: ").Append(id.ToString(CultureInfo.InvariantCulture)).Append("\r\n\r\n")
            .Append("DELETE ").Append(uri.PathAndQuery).Append(" HTTP/1.1\r\n")
            .Append("x-ms-date: ").Append(date).Append("\r\n");
        if (bearer is not null)
        {
            body.Append("Authorization: ").Append(bearer).Append("\r\n");
        }
        else if (request.Headers.Authorization is { } authorization)
        {
            body.Append("Authorization: ").Append(authorization.Scheme).Append(' ').Append(authorization.Parameter).Append("\r\n");
        }

        body.Append("Content-Length: 0\r\n\r\n");
    }

    /// <summary>Reads one answer part per sub-request; a deleted or already missing blob is a success.</summary>
    private List<DeleteFailure> ReadBatchAnswer(string answer, string boundary, string[] keys)
    {
        var answered = new bool[keys.Length];
        var failures = new List<DeleteFailure>();
        foreach (var part in answer.Split("--" + boundary, StringSplitOptions.None).Skip(1))
        {
            if (part.StartsWith("--", StringComparison.Ordinal))
            {
                break;
            }

            var (id, status, code, reason) = ParsePart(part);
            if (status is null)
            {
                continue;
            }

            if (id is not { } index || index < 0 || index >= keys.Length)
            {
                // A part for no sub-request: the service refused the batch as a whole.
                throw AzureErrors.FromStatus(status.Value, code, reason, Description, null);
            }

            answered[index] = true;
            if ((int)status.Value is < 200 or > 299 && status != HttpStatusCode.NotFound)
            {
                failures.Add(new DeleteFailure(keys[index], AzureErrors.FromStatus(status.Value, code, reason, Description, keys[index])));
            }
        }

        for (var i = 0; i < keys.Length; i++)
        {
            if (!answered[i])
            {
                failures.Add(new DeleteFailure(keys[i], new ObjectStoreException(ObjectStoreErrorKind.Transient,
                    "the batch answer said nothing about this blob; delete it again.", Description, keys[i])));
            }
        }

        return failures;
    }

    private static (int? Id, HttpStatusCode? Status, string? Code, string? Reason) ParsePart(string part)
    {
        int? id = null;
        HttpStatusCode? status = null;
        string? code = null;
        string? reason = null;
        var inResponse = false;
        foreach (var line in part.Split("\r\n"))
        {
            if (!inResponse && line.StartsWith("HTTP/", StringComparison.Ordinal))
            {
                var pieces = line.Split(' ', 3);
                if (pieces.Length >= 2 && int.TryParse(pieces[1], NumberStyles.None, CultureInfo.InvariantCulture, out var number))
                {
                    status = (HttpStatusCode)number;
                    reason = pieces.Length > 2 ? pieces[2] : null;
                    inResponse = true;
                }

                continue;
            }

            if (inResponse && line.Length == 0)
            {
                break;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            var name = line.AsSpan(0, colon).Trim();
            var value = line[(colon + 1)..].Trim();
            if (!inResponse && name.Equals("Content-ID", StringComparison.OrdinalIgnoreCase)
                && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                id = parsed;
            }
            else if (inResponse && name.Equals("x-ms-error-code", StringComparison.OrdinalIgnoreCase))
            {
                code = value;
            }
        }

        return (id, status, code, reason);
    }
}
