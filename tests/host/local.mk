# reference host tests
