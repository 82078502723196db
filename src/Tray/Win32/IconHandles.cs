using System.Runtime.Versioning;
using BucketMount.Tray.Model;

namespace BucketMount.Tray.Win32;

/// <summary>The icons of <see cref="IconArt"/> as HICONs (32-bit with alpha, and a mask for the transparent corners), made once per look and count.</summary>
[SupportedOSPlatform("windows")]
internal sealed unsafe class IconHandles : IDisposable
{
    private readonly Dictionary<(TrayIconKind, int), nint> _icons = [];
    private readonly int _size = Math.Max(16, Native.GetSystemMetrics(Native.SM_CXSMICON));

    public nint For(TrayIconKind kind, int count)
    {
        var key = (kind, Math.Min(count, 99));
        if (!_icons.TryGetValue(key, out var icon))
        {
            icon = Create(IconArt.Render(kind, key.Item2, _size), _size);
            _icons[key] = icon;
        }

        return icon;
    }

    private static nint Create(uint[] pixels, int size)
    {
        var header = new Native.BitmapInfoHeader
        {
            biSize = (uint)sizeof(Native.BitmapInfoHeader),
            biWidth = size,
            biHeight = -size, // top-down, as IconArt draws
            biPlanes = 1,
            biBitCount = 32,
        };
        void* bits;
        var colour = Native.CreateDIBSection(0, &header, 0, &bits, 0, 0);
        pixels.AsSpan().CopyTo(new Span<uint>(bits, pixels.Length)); // 0xAARRGGBB is BGRA in memory: what a DIB wants

        // The mask: 1 where transparent (rows padded to 16 bits), for whatever ignores the alpha channel.
        var stride = (size + 15) / 16 * 2;
        var mask = new byte[stride * size];
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                if (pixels[y * size + x] >> 24 == 0)
                {
                    mask[y * stride + x / 8] |= (byte)(0x80 >> (x % 8));
                }
            }
        }

        nint maskBitmap;
        fixed (byte* maskBits = mask)
        {
            maskBitmap = Native.CreateBitmap(size, size, 1, 1, maskBits);
        }

        var info = new Native.IconInfo { fIcon = 1, hbmMask = maskBitmap, hbmColor = colour };
        var icon = Native.CreateIconIndirect(&info);
        Native.DeleteObject(colour);
        Native.DeleteObject(maskBitmap);
        return icon;
    }

    public void Dispose()
    {
        foreach (var icon in _icons.Values)
        {
            Native.DestroyIcon(icon);
        }

        _icons.Clear();
    }
}
