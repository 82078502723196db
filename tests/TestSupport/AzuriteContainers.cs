using System.Net;
using BucketMount.Backends.Azure;

namespace BucketMount.TestSupport;

/// <summary>Creates a fresh container on Azurite for each test (Create Container over REST, signed with the dev key).</summary>
public static class AzuriteContainers
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
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"Azurite did not create container {options.Container}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }

        return options;
    }
}
