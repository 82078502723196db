namespace BucketMount.Tray.Model;

/// <summary>
/// The tray icons, drawn in code (no image files): a rounded square in the state's colour with a white sign — a
/// check (idle), the number of files waiting (uploading), two bars (paused), an exclamation mark (error), three dots
/// (connecting, grey). Pixels are
/// 0xAARRGGBB, row by row from the top, on a 16-unit grid scaled to the size Windows asks for (SM_CXSMICON).
/// </summary>
internal static class IconArt
{
    private const uint White = 0xFFFFFFFF;

    /// <summary>The fill colour of each look: the Wine test finds the icon on screen by it.</summary>
    public static uint Colour(TrayIconKind kind) => kind switch
    {
        TrayIconKind.Idle => 0xFF2E9E4F,
        TrayIconKind.Uploading => 0xFF1E6FD9,
        TrayIconKind.Paused => 0xFFD98A00,
        TrayIconKind.Connecting => 0xFF8A8A8A,
        _ => 0xFFD32F2F,
    };

    // 3x5 digits, one string of rows each.
    private static readonly string[] Digits =
    [
        "111101101101111", "010110010010111", "111001111100111", "111001111001111", "101101111001001",
        "111100111001111", "111100111101111", "111001010010010", "111101111101111", "111101111001111",
    ];

    public static uint[] Render(TrayIconKind kind, int count, int size)
    {
        var scale = Math.Max(1, size / 16);
        var pixels = new uint[size * size];
        var canvas = new Canvas(pixels, size, scale);
        var fill = Colour(kind);
        for (var y = 0; y < 16; y++)
        {
            for (var x = 0; x < 16; x++)
            {
                // Rounded corners: the two outermost pixels of each corner stay transparent.
                var corner = (x is 0 or 15) && (y is 0 or 1 or 14 or 15) || (y is 0 or 15) && (x is 0 or 1 or 14 or 15);
                if (!corner)
                {
                    canvas.Set(x, y, fill);
                }
            }
        }

        switch (kind)
        {
            case TrayIconKind.Idle:
                // A check mark, two units thick.
                foreach (var (x, y) in new[] { (3, 8), (4, 9), (5, 10), (6, 11), (7, 10), (8, 9), (9, 8), (10, 7), (11, 6), (12, 5) })
                {
                    canvas.Set(x, y, White);
                    canvas.Set(x, y - 1, White);
                }

                break;
            case TrayIconKind.Uploading when count > 0:
                DrawNumber(canvas, Math.Min(count, 99));
                break;
            case TrayIconKind.Uploading:
                // An arrow up: files about to go.
                canvas.Rectangle(7, 4, 2, 9, White);
                canvas.Rectangle(5, 6, 6, 1, White);
                canvas.Rectangle(6, 5, 4, 1, White);
                break;
            case TrayIconKind.Connecting:
                canvas.Rectangle(3, 7, 2, 2, White);
                canvas.Rectangle(7, 7, 2, 2, White);
                canvas.Rectangle(11, 7, 2, 2, White);
                break;
            case TrayIconKind.Paused:
                canvas.Rectangle(4, 3, 3, 10, White);
                canvas.Rectangle(9, 3, 3, 10, White);
                break;
            default:
                canvas.Rectangle(7, 2, 2, 8, White);
                canvas.Rectangle(7, 12, 2, 2, White);
                break;
        }

        return pixels;
    }

    /// <summary>One or two digits, each 3x5 units drawn twice as large, centred.</summary>
    private static void DrawNumber(Canvas canvas, int number)
    {
        var text = number.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var left = text.Length == 1 ? 5 : 1;
        foreach (var digit in text)
        {
            var rows = Digits[digit - '0'];
            for (var i = 0; i < rows.Length; i++)
            {
                if (rows[i] == '1')
                {
                    canvas.Rectangle(left + i % 3 * 2, 3 + i / 3 * 2, 2, 2, White);
                }
            }

            left += 8;
        }
    }

    /// <summary>Draws on the 16-unit grid, each unit a scale x scale block.</summary>
    private readonly struct Canvas(uint[] pixels, int size, int scale)
    {
        public void Set(int x, int y, uint colour) => Rectangle(x, y, 1, 1, colour);

        public void Rectangle(int x, int y, int width, int height, uint colour)
        {
            for (var py = y * scale; py < (y + height) * scale && py < size; py++)
            {
                for (var px = x * scale; px < (x + width) * scale && px < size; px++)
                {
                    pixels[py * size + px] = colour;
                }
            }
        }
    }
}
