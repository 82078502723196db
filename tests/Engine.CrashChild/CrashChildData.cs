namespace BucketMount.Engine.CrashChild;

/// <summary>The bytes of the crash test's file number i, shared by the child that writes and the test that checks.</summary>
public static class CrashChildData
{
    public static byte[] For(int i) => Content(i, i == 0 ? 12 * 1024 * 1024 : 1000 + (i * 777));

    /// <summary><paramref name="length"/> bytes that differ for each <paramref name="seed"/>.</summary>
    public static byte[] Content(int seed, int length)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }
}
