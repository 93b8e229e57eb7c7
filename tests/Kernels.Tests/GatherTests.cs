using FsCheck;
using FsCheck.Fluent;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Tests.Support;
using Xunit;
using static Tangent.Kernels.Tests.Support.ElemReference;

namespace Tangent.Kernels.Tests;

/// <summary>
/// Row gather and scatter-add on one backend against float64 loops written from the definitions:
/// gather dst[i,:] = src[idx[i],:] (a copy, so exact), scatter-add dst[idx[i],:] += src[i,:] with repeated indices
/// accumulating (relative error ≤ 1e-5 in float32, 1e-12 in float64). Out-of-range indices are errors naming the index.
/// </summary>
public abstract class GatherTests(Backend backend)
{
    private readonly Backend _b = backend;

    /// <summary>FsCheck cases per property.</summary>
    protected virtual int Cases => 40;

    /// <summary>One generated problem: a table of <c>Rows</c> rows of <c>Cols</c>, and <c>Indices</c> into it.</summary>
    public sealed record Case(int Rows, int Cols, int[] Indices, double[] Table, double[] Dense)
    {
        public override string ToString() => $"rows {Rows} cols {Cols} indices [{string.Join(",", Indices)}]";
    }

    /// <summary>
    /// Few rows and many indices, so that indices repeat (the accumulation case); cols cover vector tails.
    /// </summary>
    private static Gen<Case> Problems =>
        from rows in Gen.Choose(1, 12)
        from cols in Gen.Elements(1, 2, 3, 7, 8, 15, 16, 17, 33)
        from count in Gen.Choose(0, 30)
        from idx in Gen.ArrayOf(Gen.Choose(0, rows - 1), count)
        from table in Values(rows * cols, -2, 2)
        from dense in Values(count * cols, -2, 2)
        select new Case(rows, cols, idx, table, dense);

    private void GatherCase<T>(Case c) where T : unmanaged
    {
        double[] table = Round<T>(c.Table);
        using var src = Upload<T>(_b, table);
        using var idx = _b.Upload<int>(c.Indices);
        // Fill dst with a sentinel: a gather must overwrite each of its rows.
        using var dst = Upload<T>(_b, Enumerable.Repeat(-7.0, c.Indices.Length * c.Cols).ToArray());
        _b.GatherRows(src.View, c.Cols, idx.View, dst.View);
        var expected = new double[c.Indices.Length * c.Cols];
        for (int i = 0; i < c.Indices.Length; i++)
            for (int j = 0; j < c.Cols; j++) expected[i * c.Cols + j] = table[c.Indices[i] * c.Cols + j];
        Assert.Equal(expected, Download(dst));
    }

    private void ScatterCase<T>(Case c) where T : unmanaged
    {
        double[] table = Round<T>(c.Table), dense = Round<T>(c.Dense);
        using var src = Upload<T>(_b, dense);
        using var idx = _b.Upload<int>(c.Indices);
        using var dst = Upload<T>(_b, table);
        _b.ScatterAddRows(src.View, c.Cols, idx.View, dst.View);
        var expected = (double[])table.Clone();
        for (int i = 0; i < c.Indices.Length; i++)
            for (int j = 0; j < c.Cols; j++) expected[c.Indices[i] * c.Cols + j] += dense[i * c.Cols + j];
        AssertClose<T>(Download(dst), expected, $"scatter-add {c}");
    }

    [Fact] public void GatherFloat() => Check(Problems, GatherCase<float>, Cases);
    [Fact] public void GatherDouble() => Check(Problems, GatherCase<double>, Cases);
    [Fact] public void ScatterAddFloat() => Check(Problems, ScatterCase<float>, Cases);
    [Fact] public void ScatterAddDouble() => Check(Problems, ScatterCase<double>, Cases);

    /// <summary>
    /// Repeated indices add in index order on every backend (dst + src[i₀] + src[i₁] + …, float32 rounding after each
    /// addition), so scatter-add is bit-identical across backends: checked bit for bit against that loop on the host
    /// (the order of three or more float32 additions shows in the last bits).
    /// </summary>
    [Fact]
    public void ScatterAddAddsInIndexOrder() => Check(Problems, c =>
    {
        float[] table = c.Table.Select(v => (float)v).ToArray(), dense = c.Dense.Select(v => (float)(v * 1e3)).ToArray();
        var expected = (float[])table.Clone();
        for (int i = 0; i < c.Indices.Length; i++)
            for (int j = 0; j < c.Cols; j++) expected[c.Indices[i] * c.Cols + j] += dense[i * c.Cols + j];
        using var src = _b.Upload<float>(dense);
        using var idx = _b.Upload<int>(c.Indices);
        using var dst = _b.Upload<float>(table);
        _b.ScatterAddRows(src.View, c.Cols, idx.View, dst.View);
        Assert.Equal(expected, dst.ToArray());
    }, Math.Max(5, Cases / 4));

    /// <summary>Index views with an offset: the host-side range check and the kernel both read the right window.</summary>
    [Fact]
    public void Views_with_offsets_are_respected()
    {
        using var src = _b.Upload<double>([0, 1, 10, 11, 20, 21]);
        using var idx = _b.Upload<int>([99, 2, 0, 2, -5]);
        using var dst = _b.Upload<double>([-1, -1, -1, -1, -1, -1, -1, -1]);
        _b.GatherRows(src.View, 2, idx.Slice(1, 3), dst.Slice(2, 6));
        Assert.Equal([-1, -1, 20, 21, 0, 1, 20, 21], dst.ToArray());

        using var acc = _b.Upload<double>([100, 100, 100, 100, 100, 100]);
        _b.ScatterAddRows(dst.Slice(2, 6), 2, idx.Slice(1, 3), acc.View);
        Assert.Equal([100, 101, 100, 100, 140, 142], acc.ToArray());
    }

    [Fact]
    public void Out_of_range_indices_are_named_and_nothing_is_written()
    {
        using var src = _b.Upload<float>([1, 2, 3, 4, 5, 6]);
        foreach (int bad in new[] { 3, -1, int.MaxValue })
        {
            using var idx = _b.Upload<int>([0, 2, bad, 1]);
            using var dst = _b.Upload<float>(Enumerable.Repeat(9f, 8).ToArray());
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => _b.GatherRows(src.View, 2, idx.View, dst.View));
            Assert.Contains($"indices[2] = {bad} is outside [0, 3)", e.Message);
            Assert.All(dst.ToArray(), v => Assert.Equal(9f, v));

            using var table = _b.Upload<float>(Enumerable.Repeat(9f, 6).ToArray());
            using var rows = _b.Upload<float>(Enumerable.Repeat(1f, 8).ToArray());
            e = Assert.Throws<ArgumentOutOfRangeException>(() => _b.ScatterAddRows(rows.View, 2, idx.View, table.View));
            Assert.Contains($"indices[2] = {bad} is outside [0, 3) (the rows of dst)", e.Message);
            Assert.All(table.ToArray(), v => Assert.Equal(9f, v));
        }
    }

    [Fact]
    public void Short_buffers_and_ragged_tables_are_named()
    {
        using var src = _b.Upload<float>([1, 2, 3, 4, 5, 6]);
        using var idx = _b.Upload<int>([0, 1, 2]);
        using var shortDst = _b.Allocate<float>(5);
        var e = Assert.Throws<ArgumentException>(() => _b.GatherRows(src.View, 2, idx.View, shortDst.View));
        Assert.Contains("dst has 5 elements, 6 needed (3 rows of 2)", e.Message);
        e = Assert.Throws<ArgumentException>(() => _b.ScatterAddRows(shortDst.View, 2, idx.View, src.View));
        Assert.Contains("src has 5 elements, 6 needed (3 rows of 2)", e.Message);
        using var dst = _b.Allocate<float>(12);
        e = Assert.Throws<ArgumentException>(() => _b.GatherRows(src.View, 4, idx.View, dst.View));
        Assert.Contains("src has 6 elements, not a whole number of rows of 4", e.Message);
        e = Assert.Throws<ArgumentException>(() => _b.GatherRows(src.View, -1, idx.View, dst.View));
        Assert.Contains("cols is -1", e.Message);
    }
}

public sealed class GatherTestsCpu() : GatherTests(TestBackends.Cpu);

/// <summary>Gather/scatter on ILGPU's CPU accelerator (fewer cases: each launch costs ~0.4 ms there).</summary>
[Collection(TestBackends.IlgpuCpuCollection)]
public sealed class GatherTestsIlgpuCpu() : GatherTests(TestBackends.IlgpuCpu)
{
    /// <inheritdoc />
    protected override int Cases => 15;
}

/// <summary>Gather/scatter on the OpenCL device (PoCL here).</summary>
[Collection(TestBackends.OpenCLCollection)]
public sealed class GatherTestsOpenCL() : GatherTests(TestBackends.OpenCL)
{
    /// <inheritdoc />
    protected override int Cases => 15;
}
