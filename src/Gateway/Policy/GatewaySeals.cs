namespace BucketMount.Gateway.Policy;

/// <summary>What the gateway seals in the store's answers, so that clients can hand back only what it handed out.</summary>
internal sealed record GatewaySeals(UploadIdSeal UploadIds, ContinuationTokenSeal ContinuationTokens)
{
    public GatewaySeals(byte[] gatewaySecret)
        : this(new UploadIdSeal(gatewaySecret), new ContinuationTokenSeal(gatewaySecret))
    {
    }
}
