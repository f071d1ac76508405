// `RestaurantState` keeps its growing collections in `TreeDictionary`: whoever reads them reads that type's API.
@_exported import HashTreeCollections
