namespace Tessera.Cli.Training;

/// <summary>Fashion-MNIST (or MNIST) from IDX files: 28×28 grey images scaled to [0, 1] and labels 0..9.</summary>
public sealed class FashionMnist
{
    /// <summary>Where Debian's dataset-fashion-mnist package puts the files.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    private FashionMnist(float[] trainX, byte[] trainY, float[] testX, byte[] testY)
    {
        TrainImages = trainX;
        TrainLabels = trainY;
        TestImages = testX;
        TestLabels = testY;
    }

    public const int ImageSize = 28 * 28;

    /// <summary>One sample as the models take it: [1, 28, 28] (one grey channel). Shared, never written.</summary>
    internal static readonly int[] SampleShape = [1, 28, 28];

    public float[] TrainImages { get; }
    public byte[] TrainLabels { get; }
    public float[] TestImages { get; }
    public byte[] TestLabels { get; }
    public int TrainCount => TrainLabels.Length;
    public int TestCount => TestLabels.Length;

    /// <summary>Reads the four IDX files (plain or .gz) from <paramref name="directory"/>.</summary>
    public static FashionMnist Load(string directory)
    {
        const string op = "FashionMnist.Load";
        if (!Directory.Exists(directory))
            throw new TesseraArgumentException(op, nameof(directory),
                $"dataset folder '{directory}' not found. Install it with 'apt-get install dataset-fashion-mnist' (puts the files in {DefaultDirectory}) or pass --data DIR with train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]");
        var (trX, trY) = LoadPair(directory, "train", op);
        var (teX, teY) = LoadPair(directory, "t10k", op);
        return new FashionMnist(trX, trY, teX, teY);
    }

    private static (float[] X, byte[] Y) LoadPair(string dir, string prefix, string op)
    {
        var images = IdxFile.Read(Find(dir, $"{prefix}-images-idx3-ubyte", op));
        var labels = IdxFile.Read(Find(dir, $"{prefix}-labels-idx1-ubyte", op));
        if (images.Shape.Length != 3 || images.Shape[1] != 28 || images.Shape[2] != 28)
            throw new TesseraShapeException(op, prefix, $"images must be [N, 28, 28], got [{string.Join(", ", images.Shape)}]");
        if (labels.Shape.Length != 1 || labels.Shape[0] != images.Shape[0])
            throw new TesseraShapeException(op, prefix, $"{labels.Shape[0]} labels for {images.Shape[0]} images");
        foreach (var l in labels.Data)
            if (l > 9) throw new TesseraArgumentException(op, prefix, $"label {l} is outside 0..9");
        var x = new float[images.Data.Length];
        for (int i = 0; i < x.Length; i++) x[i] = images.Data[i] / 255f;
        return (x, labels.Data);
    }

    private static string Find(string dir, string stem, string op)
    {
        foreach (var name in new[] { stem, stem + ".gz", stem.Replace("-idx", ".idx"), stem.Replace("-idx", ".idx") + ".gz" })
        {
            var p = Path.Combine(dir, name);
            if (File.Exists(p)) return p;
        }
        throw new TesseraArgumentException(op, "directory", $"'{stem}' (or .gz) not found in {dir}. Install 'dataset-fashion-mnist' or pass --data DIR");
    }
}
