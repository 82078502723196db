using Azure.Core;
using Azure.Identity;
using BucketMount.Backends.Azure;

namespace BucketMount.Backends.Remotes;

/// <summary>
/// How an Azure remote signs in, chosen with <c>?auth=</c> or, without it, by what the environment holds, in this
/// order: AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_KEY, AZURE_STORAGE_SAS_TOKEN, else Entra ID. Entra ID
/// follows DefaultAzureCredential (what Azure's own tools do): a service principal from AZURE_TENANT_ID +
/// AZURE_CLIENT_ID + AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH), workload identity
/// (AZURE_FEDERATED_TOKEN_FILE), managed identity (AZURE_CLIENT_ID picks a user-assigned one), then the developer
/// sign-ins (Azure CLI, Azure PowerShell, Azure Developer CLI…); never an interactive browser, as a mount runs unattended.
/// </summary>
public static class AzureSignIn
{
    /// <summary>The query option's name, and the words it accepts.</summary>
    public const string OptionName = "auth";

    public static readonly IReadOnlyList<string> Choices = ["key", "sas", "connection_string", "entra"];

    /// <summary>True for <c>auth=</c> with one of <see cref="Choices"/>: a choice of method, not a secret.</summary>
    public static bool IsChoice(string name, string value) =>
        name.Equals(OptionName, StringComparison.OrdinalIgnoreCase) && Choices.Contains(value.ToLowerInvariant().Replace('-', '_'));

    /// <summary>The store's options for the remote's container, signed in as <c>?auth=</c> (or the environment) says.</summary>
    public static AzureBlobStoreOptions Options(RemoteUri remote, RemoteCredentials credentials, Func<TokenCredential>? entra = null)
    {
        var location = remote.ToString();
        var choice = remote.Parameters.GetValueOrDefault(OptionName)?.ToLowerInvariant().Replace('-', '_') ?? DefaultChoice(credentials);
        var plain = new AzureBlobStoreOptions { Account = remote.Account!, Container = remote.Bucket! };
        return choice switch
        {
            "connection_string" => AzureBlobStoreOptions.FromConnectionString(
                credentials.AzureConnectionString ?? throw Missing(location, "connection_string", "AZURE_STORAGE_CONNECTION_STRING"), remote.Bucket!),
            "key" => credentials.AzureAccountKey is { } key ? plain with { AccountKey = key } : FromConnectionString(credentials, remote, location, "key", "AZURE_STORAGE_KEY"),
            "sas" => credentials.AzureSasToken is { } sas ? plain with { SasToken = sas } : FromConnectionString(credentials, remote, location, "sas", "AZURE_STORAGE_SAS_TOKEN"),
            "entra" => plain with { TokenCredential = (entra ?? DefaultCredential)() },
            _ => throw new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument,
                $"the option {OptionName}={remote.Parameters[OptionName]} is not one of {string.Join(", ", Choices)}.", location),
        };
    }

    /// <summary>
    /// DefaultAzureCredential without the interactive browser (a mount has no one to click) and without the IDE
    /// sign-ins (Visual Studio, VS Code): a mount is not run from an IDE, and their failures ("requires the
    /// Azure.Identity.Broker package") would only bury the reasons that matter in the error.
    /// </summary>
    public static TokenCredential DefaultCredential() => new DefaultAzureCredential(new DefaultAzureCredentialOptions
    {
        ExcludeInteractiveBrowserCredential = true,
        ExcludeVisualStudioCredential = true,
        ExcludeVisualStudioCodeCredential = true,
    });

    private static string DefaultChoice(RemoteCredentials credentials) =>
        credentials.AzureConnectionString is not null ? "connection_string"
        : credentials.AzureAccountKey is not null ? "key"
        : credentials.AzureSasToken is not null ? "sas"
        : "entra";

    /// <summary>?auth=key or sas with only a connection string set: its AccountKey or SharedAccessSignature, the other left out.</summary>
    private static AzureBlobStoreOptions FromConnectionString(RemoteCredentials credentials, RemoteUri remote, string location, string choice, string variable)
    {
        var options = AzureBlobStoreOptions.FromConnectionString(credentials.AzureConnectionString ?? throw Missing(location, choice, variable), remote.Bucket!);
        return choice == "key"
            ? options with { SasToken = null, AccountKey = options.AccountKey ?? throw Missing(location, choice, variable + " (or an AccountKey in AZURE_STORAGE_CONNECTION_STRING)") }
            : options with { AccountKey = null, SasToken = options.SasToken ?? throw Missing(location, choice, variable + " (or a SharedAccessSignature in AZURE_STORAGE_CONNECTION_STRING)") };
    }

    private static ObjectStoreException Missing(string location, string choice, string variable) => new(ObjectStoreErrorKind.AccessDenied,
        $"{OptionName}={choice} needs {variable} set.", location);
}
