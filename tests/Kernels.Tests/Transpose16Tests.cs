using Tangent.Kernels.Cpu;

namespace Tangent.Kernels.Tests;

/// <summary>The AVX-512 16×16 transpose the CPU packers use, against index arithmetic.</summary>
public sealed unsafe class Transpose16Tests
{
    [Avx512Theory]
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
        fixed (float* s = src, d = dst) Transpose16.Block(s, 20, rows, d, dstStride, 2f, true);
        for (int j = 0; j < 16; j++)
            for (int i = 0; i < Math.Min(dstStride, 16); i++)
                Assert.Equal(i < rows ? 2f * (i * 100 + j) : 0f, dst[j * dstStride + i]);
    }
}

/// <summary>A theory that needs AVX-512 (<see cref="Transpose16.IsSupported"/>): reported as skipped, not passed, without it.</summary>
public sealed class Avx512TheoryAttribute : TheoryAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when the processor lacks AVX-512.</summary>
    public Avx512TheoryAttribute()
    {
        if (!Transpose16.IsSupported) Skip = "needs AVX-512 (Avx512F.IsSupported is false on this processor)";
    }
}
