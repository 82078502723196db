using System.Buffers;

namespace BucketMount.Engine.Hosting;

/// <summary>
/// A <see cref="Memory{T}"/> over a buffer a native host library (libfuse, dokan2) lends for the duration of one callback, so the engine can read
/// into it or write from it without a copy. Valid only until the callback returns (the callback blocks until then).
/// </summary>
public sealed unsafe class LentBuffer(byte* pointer, int length) : MemoryManager<byte>
{
    public override Span<byte> GetSpan() => new(pointer, length);

    public override MemoryHandle Pin(int elementIndex = 0) => new(pointer + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}
