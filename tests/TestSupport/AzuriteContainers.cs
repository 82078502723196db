using System.Net;
using BucketMount.Backends.Azure;
using BucketMount.TestSupport;

namespace BucketMount.Backends.Tests.Azure;

/// <summary>Creates a fresh container on Azurite for each test (Create Container over REST, signed with the dev key).</summary>
internal static class AzuriteContainers
{
    public static async Task<AzureBlobStoreOptions> CreateAsync(CancellationToken cancellationToken)
    {
        var emulator = await Emulators.Azurite;
        var options = AzureBlobStoreOptions.Development("c-" + Guid.NewGuid().ToString("N")[..20], emulator.Port);
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(options.ServiceUri, options.Container + "?restype=container"));
        request.Headers.Add("x-ms-date", DateTimeOffset.UtcNow.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("x-ms-version", "2021-12-02");
        new SharedKeySigner(options.Account, options.AccountKey!).Sign(request);
        using var response = await http.SendAsync(request, cancellationToken);
        Assert.AreEqual(HttpStatusCode.Created, response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
        return options;
    }
}
