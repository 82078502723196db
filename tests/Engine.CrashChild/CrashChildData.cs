namespace BucketMount.Engine.CrashChild;

/// <summary>The bytes of the crash test's file number i, shared by the child that writes and the test that checks.</summary>
public static class CrashChildData
{
    public static byte[] For(int i)
    {
        var data = new byte[i == 0 ? 12 * 1024 * 1024 : 1000 + (i * 777)];
        new Random(i).NextBytes(data);
        return data;
    }
}
