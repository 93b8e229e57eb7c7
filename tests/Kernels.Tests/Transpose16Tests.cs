using Tangent.Kernels.Cpu;

namespace Tangent.Kernels.Tests;

/// <summary>
/// The AVX-512 16×16 transpose the CPU packers use, against index arithmetic. Without AVX-512 the call must refuse
/// (PlatformNotSupportedException), which is why every caller checks <see cref="Transpose16.IsSupported"/> first.
/// </summary>
public sealed unsafe class Transpose16Tests
{
    [Theory]
    [InlineData(16, 16)]
    [InlineData(14, 14)]
    [InlineData(3, 14)]
    [InlineData(16, 32)]
    public void Columns_hold_rows_and_missing_rows_are_zero(int rows, int dstStride)
    {
        var src = new float[16 * 20];
        for (int i = 0; i < 16; i++)
            for (int j = 0; j < 20; j++) src[i * 20 + j] = i * 100 + j;
        var dst = new float[16 * dstStride + 16];
        Array.Fill(dst, -1f);
        if (!Transpose16.IsSupported)
        {
            Assert.Throws<PlatformNotSupportedException>(() => { fixed (float* s = src, d = dst) Transpose16.Block(s, 20, rows, d, dstStride, 2f, true); });
            return;
        }
        fixed (float* s = src, d = dst) Transpose16.Block(s, 20, rows, d, dstStride, 2f, true);
        for (int j = 0; j < 16; j++)
            for (int i = 0; i < Math.Min(dstStride, 16); i++)
                Assert.Equal(i < rows ? 2f * (i * 100 + j) : 0f, dst[j * dstStride + i]);
    }
}
