using System.CommandLine;
using System.Security.Cryptography.X509Certificates;
using BucketMount.Backends;
using BucketMount.Cli.Configuration;
using BucketMount.Cli.Logging;
using BucketMount.Cli.Mounting;
using BucketMount.Gateway;
using BucketMount.Gateway.Audit;
using BucketMount.Gateway.Forwarding;
using BucketMount.Gateway.Grants;
using BucketMount.Gateway.Http;
using Microsoft.Extensions.Logging;

namespace BucketMount.Cli.Commands;

/// <summary>
/// `gateway REMOTE --listen ADDR`: the signing S3 gateway that keeps the store's keys outside a sandbox; and its
/// `grant`, `revoke` and `status` subcommands.
/// </summary>
internal static class GatewayCommand
{
    public static Command Create()
    {
        var remote = RemoteArgument.Create("The store the gateway serves: s3://bucket or r2://account/bucket (with ?endpoint=, region=, path_style= as for mount). Its keys are found as mount finds them (environment, config file, profile, AWS default chain).");
        remote.Arity = ArgumentArity.ZeroOrOne;
        var listen = new Option<string>("--listen") { Description = "Where to listen: ADDRESS:PORT (127.0.0.1:9000, or a bridge address) or unix:/path.sock.", DefaultValueFactory = _ => "127.0.0.1:9000" };
        var secretFile = SecretFileOption();
        var denyList = new Option<string?>("--deny-list") { Description = "A file of revoked grant ids, one a line; re-read when it changes and on SIGHUP." };
        var tlsCert = new Option<string?>("--tls-cert") { Description = "PEM certificate: serve HTTPS instead of HTTP." };
        var tlsKey = new Option<string?>("--tls-key") { Description = "PEM private key of --tls-cert." };
        var auditLog = new Option<string?>("--audit-log") { Description = "File the one-line-per-request audit log is appended to (default: standard output)." };
        var requestRate = OptionValues.Create("--grant-requests-per-second", "Requests per second one grant may make; past it, 503 SlowDown. 0 = no limit.", OptionValues.Amount("--grant-requests-per-second", "requests per second", "500 or 0", 1e9), () => 500d);
        var byteRate = OptionValues.Create("--grant-mib-per-second", "MiB per second of object data one grant may move; past it, transfers slow down. 0 = no limit.", OptionValues.Amount("--grant-mib-per-second", "MiB per second", "100 or 0.5", 1e6), () => 0d);
        var command = new Command("gateway", "Run a signing S3 gateway: sandboxes get scoped, expiring, revocable grants; the store's real keys never leave this process.")
        {
            remote, listen, secretFile, denyList, tlsCert, tlsKey, auditLog, requestRate, byteRate, Grant(), Revoke(), Status(),
        };
        command.SetAction(async (parse, ct) => await RunGuardedAsync(async () =>
        {
            var (remoteUri, credentials) = RemoteConfig.Resolve(parse.GetValue(remote) ?? throw new ArgumentException("name the store to serve, e.g. bucketmount gateway s3://my-bucket --listen 127.0.0.1:9000."));
            var address = ListenAddress.Parse(parse.GetValue(listen)!);
            var options = new GatewayOptions
            {
                Upstream = UpstreamStore.From(remoteUri, credentials), Listen = address, Secret = GatewaySecret.Load(parse.GetValue(secretFile)),
                DenyListPath = parse.GetValue(denyList) is { } deny ? Path.GetFullPath(deny) : null,
                Certificate = Certificate(parse.GetValue(tlsCert), parse.GetValue(tlsKey)),
                GrantRequestsPerSecond = parse.GetValue(requestRate), GrantBytesPerSecond = parse.GetValue(byteRate) * 1024 * 1024,
                StatusPath = StatusReport.FileFor(ControlPaths.Folder(), address.Text),
            };
            using var loggers = new SimpleLoggerProvider(LogLevel.Information, null);
            var logger = loggers.CreateLogger("BucketMount.Gateway");
            await using var audit = parse.GetValue(auditLog) is { } path ? new StreamWriter(path, append: true) : Console.Out;
            await using var host = new GatewayHost(options, audit, logger);
            host.Start();
            if (address.UnixPath is { } socket && !OperatingSystem.IsWindows())
            {
                // The socket is the sandbox's way in: whoever can open it may present a grant (the grant still decides).
                File.SetUnixFileMode(socket, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite);
            }

            logger.LogInformation("gateway for {Upstream} listening on {Listen}{Tls}", options.Upstream, address.Text, options.Certificate is null ? "" : " (TLS)");
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                logger.LogInformation("gateway stopping");
            }

            return 0;
        }));
        return command;
    }

    private static Command Grant()
    {
        var prefix = new Option<string>("--prefix") { Description = "The key prefix the grant allows, e.g. users/123/ (a '/' is added when missing).", Required = true };
        var readOnly = new Option<bool>("--read-only") { Description = "Allow reads and listings only." };
        var rooted = new Option<bool>("--rooted")
        {
            Description = "The sandbox sees the prefix as the whole bucket (its key a.txt is PREFIX/a.txt): for clients that list the bucket root at start, such as s3fs.",
        };
        var ttl = new Option<string>("--ttl") { Description = "How long the grant is valid: 90s, 30m, 24h, 7d.", DefaultValueFactory = _ => "24h" };
        var bucket = new Option<string?>("--bucket") { Description = "The bucket the grant is for; default: whichever bucket the gateway serves." };
        var secretFile = SecretFileOption();
        var command = new Command("grant", "Mint a grant: prints BUCKETMOUNT_GRANT_ID, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY lines for one sandbox (usable as docker --env-file).")
        {
            prefix, readOnly, rooted, ttl, bucket, secretFile,
        };
        command.SetAction((parse, _) => RunGuardedAsync(() =>
        {
            Console.Write(GrantCommands.Mint(parse.GetValue(secretFile), parse.GetValue(prefix)!, parse.GetValue(readOnly), parse.GetValue(rooted), parse.GetValue(ttl)!, parse.GetValue(bucket), DateTimeOffset.UtcNow));
            return Task.FromResult(0);
        }));
        return command;
    }

    private static Command Revoke()
    {
        var grantId = new Argument<string>("grant-id") { Description = "The BUCKETMOUNT_GRANT_ID `gateway grant` printed." };
        var denyList = new Option<string>("--deny-list") { Description = "The gateway's --deny-list file.", Required = true };
        var command = new Command("revoke", "Revoke a grant: adds its id to the deny list, which running gateways re-read within a second.") { grantId, denyList };
        command.SetAction((parse, _) => RunGuardedAsync(() =>
        {
            GrantCommands.Revoke(parse.GetValue(denyList)!, parse.GetValue(grantId)!);
            return Task.FromResult(0);
        }));
        return command;
    }

    private static Command Status()
    {
        var json = new Option<bool>("--json") { Description = "Machine-readable output." };
        var command = new Command("status", "Show running gateways: limits, and per grant its requests, refusals, throttling and bytes.") { json };
        command.SetAction(parse =>
        {
            var statuses = StatusReport.Read(ControlPaths.Folder());
            if (parse.GetValue(json))
            {
                Console.WriteLine("[" + string.Join(",", statuses.Select(s => s.RootElement.GetRawText())) + "]");
            }
            else
            {
                Console.Write(statuses.Count == 0 ? "No running gateways.\n" : string.Concat(statuses.Select(s => StatusReport.Format(s.RootElement, DateTimeOffset.UtcNow))));
            }

            return 0;
        });
        return command;
    }

    private static Option<string?> SecretFileOption() => new("--secret-file")
    {
        Description = $"File (mode 0600) holding the gateway's own secret; default: the {GatewaySecret.EnvironmentVariable} environment variable.",
    };

    private static X509Certificate2? Certificate(string? certificate, string? key)
    {
        if (certificate is null && key is null)
        {
            return null;
        }

        if (certificate is null || key is null)
        {
            throw new ArgumentException("--tls-cert and --tls-key go together.");
        }

        try
        {
            return X509Certificate2.CreateFromPemFile(certificate, key);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException)
        {
            throw new ArgumentException($"--tls-cert {certificate} / --tls-key {key} could not be loaded as a PEM certificate and key: {e.Message}");
        }
    }

    private static async Task<int> RunGuardedAsync(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception e) when (e is ArgumentException or ObjectStoreException or UnauthorizedAccessException or IOException or System.Net.Sockets.SocketException)
        {
            await Console.Error.WriteLineAsync("bucketmount gateway: " + PrintableNames.EscapeControls(e.Message));
            return 2;
        }
    }
}
