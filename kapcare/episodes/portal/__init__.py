"""The course of care on the patient's portal home: its cards, registered in
`patients.portal` from EpisodesConfig.ready()."""
