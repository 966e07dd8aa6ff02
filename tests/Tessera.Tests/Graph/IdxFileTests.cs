using System.IO.Compression;
using Tessera.Cli.Training;
using Tessera.Tests.Support;

namespace Tessera.Tests.Graph;

public class IdxFileTests
{
    private static byte[] Idx(int[] dims, byte[] data)
    {
        var ms = new MemoryStream();
        ms.Write(new byte[] { 0, 0, 8, (byte)dims.Length });
        foreach (var d in dims) ms.Write(new[] { (byte)(d >> 24), (byte)(d >> 16), (byte)(d >> 8), (byte)d });
        ms.Write(data);
        return ms.ToArray();
    }

    [Fact]
    public void ReadsPlainAndGzip()
    {
        var dir = Directory.CreateTempSubdirectory("idx").FullName;
        try
        {
            var data = Enumerable.Range(0, 24).Select(i => (byte)i).ToArray();
            File.WriteAllBytes(Path.Combine(dir, "a.idx"), Idx(new[] { 2, 3, 4 }, data));
            using (var f = File.Create(Path.Combine(dir, "a.idx.gz")))
            using (var gz = new GZipStream(f, CompressionLevel.Fastest))
                gz.Write(Idx(new[] { 2, 3, 4 }, data));
            foreach (var name in new[] { "a.idx", "a.idx.gz" })
            {
                var idx = IdxFile.Read(Path.Combine(dir, name));
                Assert.Equal(new[] { 2, 3, 4 }, idx.Shape);
                Assert.Equal(data, idx.Data);
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    [Theory]
    [InlineData("magic")]
    [InlineData("short")]
    [InlineData("absurd")]
    [InlineData("type")]
    public void MalformedFilesAreRejected(string kind)
    {
        var path = Path.GetTempFileName();
        try
        {
            var bytes = Idx(new[] { 4, 4 }, new byte[16]);
            switch (kind)
            {
                case "magic": bytes[0] = 1; break;
                case "short": bytes = bytes[..^3]; break;
                case "absurd": bytes = Idx(new[] { 1 << 30, 1 << 30 }, new byte[4]); break;
                case "type": bytes[2] = 0x0D; break;
            }
            File.WriteAllBytes(path, bytes);
            var ex = Assert.Throws<TesseraArgumentException>(() => IdxFile.Read(path));
            Assert.Contains("IdxFile.Read", ex.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void FashionMnistLoadsFromTheDebianPackage()
    {
        Requirement.Require(Directory.Exists(FashionMnist.DefaultDirectory), $"Fashion-MNIST not installed at {FashionMnist.DefaultDirectory} (apt-get install dataset-fashion-mnist)");
        var d = FashionMnist.Load(FashionMnist.DefaultDirectory);
        Assert.Equal(60000, d.TrainCount);
        Assert.Equal(10000, d.TestCount);
        Assert.Equal(60000 * 784, d.TrainImages.Length);
        Assert.InRange(d.TrainImages.Max(), 0.99f, 1f);
        // Balanced classes: 6000 of each in train.
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(6000, d.TrainLabels.Count(l => l == c)));
    }

    [Fact]
    public void MissingDatasetSaysHowToGetIt()
    {
        var ex = Assert.Throws<TesseraArgumentException>(() => FashionMnist.Load("/nonexistent/fmnist"));
        Assert.Contains("dataset-fashion-mnist", ex.Message);
    }
}
